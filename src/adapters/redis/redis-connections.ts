import { Redis } from 'ioredis';
import type { Log } from '../../core/log.js';
import { CLAIM, POST_CHAT, READ_CHAT, RELEASE, RENEW, TOUCH_CHAT } from './redis-scripts.js';

type Args = (string | number)[];

/** The command connection with our scripts as commands. */
export type ScriptedRedis = Redis & {
  postChat(...args: Args): Promise<[number, string]>;
  readChat(...args: Args): Promise<[string, number, string[], number]>;
  touchChat(...args: Args): Promise<number>;
  claimRoom(...args: Args): Promise<[number, string]>;
  renewClaim(...args: Args): Promise<number>;
  releaseClaim(...args: Args): Promise<number>;
};

const COMMAND_TIMEOUT_MS = 2000;
const ERROR_LOG_INTERVAL_MS = 5000;

/**
 * The two connections a node keeps to Redis: commands, and subscriptions (a subscribed
 * connection can do nothing else). The bus is up while both are ready.
 */
export class RedisConnections {
  readonly cmd: ScriptedRedis;
  readonly sub: Redis;
  private lastErrorLogAt = 0;
  private up = false;
  private closed = false;

  constructor(
    url: string,
    name: string,
    private readonly log: Log,
    private readonly onState: (up: boolean) => void,
  ) {
    const common = {
      lazyConnect: true,
      // Reconnect quickly and keep trying: a node must find Redis again by itself.
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      connectTimeout: 2000,
    };
    // No offline queue and no retries: while Redis is away a command fails at once, and the
    // caller refuses (chat) or skips (frames) instead of holding work that may never be done.
    this.cmd = new Redis(url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: name }) as ScriptedRedis;
    this.sub = new Redis(url, { ...common, autoResubscribe: true, maxRetriesPerRequest: null, connectionName: `${name}-sub` });
    this.cmd.defineCommand('postChat', { numberOfKeys: 4, lua: POST_CHAT });
    this.cmd.defineCommand('readChat', { numberOfKeys: 3, lua: READ_CHAT });
    this.cmd.defineCommand('touchChat', { numberOfKeys: 3, lua: TOUCH_CHAT });
    this.cmd.defineCommand('claimRoom', { numberOfKeys: 3, lua: CLAIM });
    this.cmd.defineCommand('renewClaim', { numberOfKeys: 3, lua: RENEW });
    this.cmd.defineCommand('releaseClaim', { numberOfKeys: 2, lua: RELEASE });
    for (const conn of [this.cmd, this.sub]) {
      conn.on('ready', () => this.check());
      conn.on('close', () => this.check());
      conn.on('error', (err: unknown) => this.noteError(err, 'connection'));
    }
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Connects both; resolves when they are ready or after `waitMs`, whichever comes first. */
  async connect(waitMs: number): Promise<void> {
    const ready = Promise.all([this.cmd.connect(), this.sub.connect()]).catch(() => {});
    await Promise.race([ready, new Promise((r) => setTimeout(r, waitMs).unref())]);
    this.check();
  }

  disconnect(): void {
    this.closed = true;
    this.sub.disconnect();
    this.cmd.disconnect();
    this.check();
  }

  /** One warning per few seconds: during an outage every command fails. */
  noteError(err: unknown, what: string): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogAt = now;
    this.log.warn({ err: err instanceof Error ? err.message : String(err), what }, 'bus error');
  }

  private check(): void {
    const up = !this.closed && this.cmd.status === 'ready' && this.sub.status === 'ready';
    if (up === this.up) return;
    this.up = up;
    this.onState(up);
  }
}

/** A Redis URL fit for a log line: its password masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}
