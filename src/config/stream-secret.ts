import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ResolvedSecret {
  secret: string;
  source: 'config' | 'file' | 'generated';
  file: string | null;
}

/** STREAM_SECRET if set, else the one a server kept in DATA_DIR; null when there is none (nothing is created). */
export function findStreamSecret(configured: string, dataDir: string): string | null {
  if (configured) return configured;
  const file = join(dataDir, 'stream-secret');
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8').trim() || null;
}

/**
 * STREAM_SECRET if set; otherwise the one kept in DATA_DIR, generated on first start so that
 * stream keys survive restarts. The file is readable by its owner only.
 */
export function resolveStreamSecret(configured: string, dataDir: string): ResolvedSecret {
  if (configured) return { secret: configured, source: 'config', file: null };
  const file = join(dataDir, 'stream-secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret) return { secret, source: 'file', file };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret, source: 'generated', file };
}
