import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResolvedSecret {
  secret: string;
  source: 'config' | 'file' | 'generated';
  file: string | null;
}

function readKept(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

const exists = (err: unknown) => (err as NodeJS.ErrnoException).code === 'EEXIST';

/** Puts `tmp` in place as `file` unless `file` exists; false when it did. */
function placeOnce(tmp: string, file: string, content: string): boolean {
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if (exists(err)) return false;
  }
  // A filesystem without hard links: an exclusive create gives the same guarantee.
  try {
    writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if (exists(err)) return false;
    throw err;
  }
}

/**
 * Saves `secret` as the one in `file` unless a secret is there already, and returns the one in
 * force. Nodes that share DATA_DIR (replicas on one volume) may start at the same moment: the
 * secret is written whole under a name of its own, then linked into place, which fails when
 * another node got there first. Then that node's secret is everyone's, and one stream key works
 * on every node. An empty file (a write cut short) is replaced.
 */
export function saveSecretOnce(file: string, secret: string): { secret: string; saved: boolean } {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, secret + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    if (placeOnce(tmp, file, secret + '\n')) return { secret, saved: true };
    const kept = readKept(file);
    if (kept) return { secret: kept, saved: false };
    renameSync(tmp, file);
    return { secret, saved: true };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** STREAM_SECRET if set, else the one a server kept in DATA_DIR; null when there is none (nothing is created). */
export function findStreamSecret(configured: string, dataDir: string): string | null {
  if (configured) return configured;
  const file = join(dataDir, 'stream-secret');
  return readKept(file) || null;
}

/**
 * STREAM_SECRET if set; otherwise the one kept in DATA_DIR, generated on first start so that
 * stream keys survive restarts. The file is readable by its owner only.
 */
export function resolveStreamSecret(configured: string, dataDir: string): ResolvedSecret {
  if (configured) return { secret: configured, source: 'config', file: null };
  const file = join(dataDir, 'stream-secret');
  const kept = readKept(file);
  if (kept) return { secret: kept, source: 'file', file };
  mkdirSync(dataDir, { recursive: true });
  const { secret, saved } = saveSecretOnce(file, randomBytes(32).toString('hex'));
  return { secret, source: saved ? 'generated' : 'file', file };
}
