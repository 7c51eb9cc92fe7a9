// The redis-server a clustered load test starts: Debian's binary on a free port, persistence
// off (no snapshot or log may cost the machine CPU or disk while the nodes are measured).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './spawn-target.js';

/** Bytes Redis read from and wrote to every client since it started (INFO stats). */
export interface RedisTraffic {
  inputBytes: number;
  outputBytes: number;
}

export interface RedisProcess {
  pid: number;
  url: string;
  /** Its traffic counters, read with INFO over a connection of its own (a few hundred bytes per reading). */
  traffic(): Promise<RedisTraffic>;
  stop(): Promise<void>;
}

/** total_net_input_bytes and total_net_output_bytes of an INFO reply; null when either is missing. */
export function parseRedisTraffic(info: string): RedisTraffic | null {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info);
    return m ? Number(m[1]) : null;
  };
  const inputBytes = field('total_net_input_bytes');
  const outputBytes = field('total_net_output_bytes');
  return inputBytes === null || outputBytes === null ? null : { inputBytes, outputBytes };
}

// Debian installs redis-server in /usr/bin; sbin dirs cover other layouts.
const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

export function findRedisServer(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]) {
    const file = join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export async function startRedis(): Promise<RedisProcess> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server is not installed (Debian package redis-server); --nodes needs it');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 100, connectionName: 'loadtest-probe' });
  client.on('error', () => {});
  const stop = async () => {
    client.disconnect();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  // The client retries until redis-server listens; PING waits in its queue meanwhile.
  client.connect().catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('did not answer within 10 s'), 10_000);
    void exited.then(() => resolve(`exited with code ${child.exitCode}`));
  });
  const outcome = await Promise.race([client.ping().then(() => null, (err: Error) => err.message), failed]);
  clearTimeout(timer);
  if (outcome !== null) {
    await stop();
    throw new Error(`redis-server ${outcome}: ${stderr}`);
  }
  return {
    pid: child.pid!,
    url,
    async traffic() {
      const t = parseRedisTraffic(await client.info('stats'));
      if (!t) throw new Error('INFO stats has no total_net_input_bytes / total_net_output_bytes');
      return t;
    },
    stop,
  };
}
