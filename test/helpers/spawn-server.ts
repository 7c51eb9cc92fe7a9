import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/ when it is missing (npm test builds first; this covers running one file). */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/server/main.js'))) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
}

export interface SpawnedServer {
  child: ChildProcess;
  httpUrl: string;
  wsUrl: string;
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Runs the built server as users do (`node dist/server/main.js`) on free ports, until it logs that it is up. */
export async function spawnServer(env: Record<string, string> = {}, args: string[] = []): Promise<SpawnedServer> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-proc-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/server/main.js'), '--port', '0', '--ws-port', '0', '--host', '127.0.0.1', ...args], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, STREAM_SECRET: 'spawned-secret', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  exited.finally(() => rmSync(dataDir, { recursive: true, force: true })).catch(() => {});
  const up = new Promise<{ http: string; ws: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(rec);
      if (rec.msg === 'beamcast is up') resolve({ http: String(rec.http), ws: String(rec.ws).replace('/ws/:room', '') });
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before it was up: ${stderr}`)));
  });
  const { http, ws } = await up;
  return {
    child,
    httpUrl: http,
    wsUrl: ws,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
