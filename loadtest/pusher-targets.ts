// Starts the Pusher-protocol baselines on free ports, for the Pusher load scenario and its tests:
//   soketi:     from its own install in loadtest/baselines/soketi (npm run baseline:soketi:install);
//               WebSocket and HTTP API on one port (SOKETI_PORT), its default app from
//               SOKETI_DEFAULT_APP_ID / _KEY / _SECRET;
//   pusher-uws: the minimal uWS relay (loadtest/baselines/pusher-uws.ts), bundled like the others.
// Both are spawned as `node --expose-gc --import gc-on-signal.mjs <entry>`, like every target.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, bundleLoadtest } from './bundle.js';
import { canConnect, spawnServerProcess } from './server-process.js';
import { freePort } from './spawn-target.js';

export type PusherTargetName = 'soketi' | 'pusher-uws';

export interface PusherApp {
  id: string;
  key: string;
  secret: string;
}

export interface SpawnedPusherTarget {
  name: PusherTargetName;
  pid: number;
  host: string;
  /** WebSocket (/app/:key) and HTTP API (/apps/:id/...) share this port. */
  port: number;
  output(): string;
  /** Full garbage collection in the server, before memory is sampled. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export const SOKETI_DIR = join(ROOT, 'loadtest', 'baselines', 'soketi');
const SOKETI_ENTRY = join(SOKETI_DIR, 'node_modules', '@soketi', 'soketi', 'bin', 'server.js');

/** soketi is installed separately (it pulls in ~300 packages); the scenario and its test need it. */
export function soketiInstalled(): boolean {
  return existsSync(SOKETI_ENTRY);
}

/** `nodeArgs`: extra node flags, e.g. --cpu-prof. */
export async function spawnPusherTarget(name: PusherTargetName, app: PusherApp, nodeArgs: string[] = []): Promise<SpawnedPusherTarget> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  let args: string[];
  if (name === 'soketi') {
    if (!soketiInstalled()) throw new Error('soketi is not installed: npm run baseline:soketi:install');
    Object.assign(env, {
      SOKETI_HOST: host,
      SOKETI_PORT: String(port),
      SOKETI_DEFAULT_APP_ID: app.id,
      SOKETI_DEFAULT_APP_KEY: app.key,
      SOKETI_DEFAULT_APP_SECRET: app.secret,
      SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
      // Its usage/metrics endpoint listens on 9601 unless told otherwise; keep runs independent.
      SOKETI_METRICS_HOST: host,
      SOKETI_METRICS_SERVER_PORT: String(await freePort(host)),
      SOKETI_SHUTDOWN_GRACE_PERIOD: '100',
    });
    args = [SOKETI_ENTRY, 'start'];
  } else {
    Object.assign(env, { HOST: host, PORT: String(port) });
    args = [(await bundleLoadtest()).baseline(name)];
  }
  const proc = spawnServerProcess(args, { cwd: ROOT, env, nodeArgs });
  const { child } = proc;
  const target: SpawnedPusherTarget = {
    name,
    pid: child.pid!,
    host,
    port,
    output: proc.output,
    collectGarbage: proc.collectGarbage,
    stop: proc.stop,
  };
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await target.stop();
      throw new Error(`${name} did not start (${child.exitCode === null ? 'not listening after 20 s' : `exit ${child.exitCode}`}):\n${target.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return target;
}
