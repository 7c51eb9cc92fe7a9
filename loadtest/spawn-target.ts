// Starts the server under test (beamcast's dist/server/main.js or a baseline relay) on free
// ports, the same way for every target, so that their CPU and memory compare fairly.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamKey } from '../src/core/stream-key.js';
import { bundleLoadtest, serverEntry } from './bundle.js';
import type { TargetName } from './dialect.js';
import { canConnect, spawnServerProcess } from './server-process.js';

export interface SpawnedTarget {
  name: TargetName;
  pid: number;
  host: string;
  wsPort: number;
  httpPort: number | null;
  /** Broadcaster key for a room (beamcast checks it; the baselines ignore it). */
  key(room: string): string;
  /** Full garbage collection in the server, before memory is sampled. */
  collectGarbage(): Promise<void>;
  /** Last lines the process printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra env for beamcast, e.g. VIDEO_MAX_BUFFERED. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** beamcast's built entry to run instead of this checkout's (e.g. another version's dist/server/main.js). */
  entry?: string;
  maxFrameBytes: number;
  maxFps: number;
  chatRate: number;
  /** STREAM_SECRET for beamcast (default: a random one); nodes of one cluster share it. */
  secret?: string;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function spawnTarget(name: TargetName, opts: SpawnOptions): Promise<SpawnedTarget> {
  const host = '127.0.0.1';
  const wsPort = await freePort(host);
  const secret = opts.secret ?? randomBytes(16).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), `beamcast-loadtest-${name}-`));
  let script: string;
  let httpPort: number | null = null;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: host };
  if (name === 'beamcast') {
    script = opts.entry ?? (await serverEntry());
    httpPort = await freePort(host);
    Object.assign(env, {
      PORT: String(httpPort),
      WS_PORT: String(wsPort),
      STREAM_SECRET: secret,
      DATA_DIR: dataDir,
      // Connection logs cost the same for every run but are not what is measured.
      LOG_LEVEL: 'warn',
      DEMO_ROOM: '',
      MAX_CONNECTIONS_PER_IP: '0',
      CONNECT_RATE: '0',
      MAX_VIEWERS_PER_ROOM: '0',
      MAX_FRAME_BYTES: String(Math.max(1024 * 1024, opts.maxFrameBytes)),
      MAX_FPS: String(Math.min(240, Math.max(30, opts.maxFps))),
      CHAT_RATE: String(Math.max(2, opts.chatRate * 2)),
      ...opts.env,
    });
  } else {
    script = (await bundleLoadtest()).baseline(name);
    env.PORT = String(wsPort);
  }
  // cwd is the throwaway dir so that no .env of the user's checkout leaks into the server.
  const proc = spawnServerProcess([script], { cwd: dataDir, env, nodeArgs: opts.nodeArgs });
  const { child } = proc;
  const target: SpawnedTarget = {
    name,
    pid: child.pid!,
    host,
    wsPort,
    httpPort,
    key: (room) => streamKey(secret, room),
    output: proc.output,
    collectGarbage: proc.collectGarbage,
    async stop() {
      await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitListening(child, host, wsPort, httpPort);
  } catch (err) {
    await target.stop();
    throw new Error(`${name} did not start: ${(err as Error).message}\n${target.output()}`);
  }
  return target;
}

async function waitListening(child: ChildProcess, host: string, wsPort: number, httpPort: number | null): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const up = (await canConnect(host, wsPort)) && (httpPort === null || (await isReady(`http://${host}:${httpPort}/readyz`)));
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('not listening after 20 s');
}

async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}
