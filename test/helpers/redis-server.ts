import { findBinary, skipWithout } from './binaries.js';
import { freePort, waitFor } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { createConnection } from 'node:net';

export const redisSkip = (): false | string => skipWithout('redis-server', 'redis-server');

/**
 * A real redis-server on a free port, persistence off. `stop()` and `start()` again keep the
 * port, as an outage and a recovery would; `flush` is lost with a restart, as without persistence.
 */
export class RedisServer {
  private proc: ManagedProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const bin = findBinary('redis-server');
    if (!bin) throw new Error('redis-server is not installed');
    this.proc = new ManagedProcess('redis-server', bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning']);
    await waitFor(() => this.ping(), 5000, 'redis-server to answer PING');
  }

  /** A clean stop (SIGTERM). */
  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }

  /** Sends a raw command and resolves with the raw reply (for INFO and the like). */
  command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(this.port, '127.0.0.1');
      let data = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        data += d;
        if (isComplete(data)) {
          sock.end();
          resolve(data);
        }
      });
      sock.on('error', reject);
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
  }

  private async ping(): Promise<true | undefined> {
    try {
      return (await this.command('PING')).startsWith('+PONG') ? true : undefined;
    } catch {
      return undefined;
    }
  }
}

// Enough RESP to know a simple, error, integer or bulk reply is whole.
function isComplete(s: string): boolean {
  if (s[0] === '+' || s[0] === '-' || s[0] === ':') return s.endsWith('\r\n');
  if (s[0] === '$') {
    const nl = s.indexOf('\r\n');
    if (nl < 0) return false;
    const len = Number(s.slice(1, nl));
    return len < 0 || Buffer.byteLength(s) >= nl + 2 + len + 2;
  }
  return s.endsWith('\r\n');
}
