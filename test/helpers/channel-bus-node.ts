/**
 * A cluster node in a process of its own, for tests that kill or stall a node: a RedisBroker
 * (REDIS_URL, PREFIX, LEASE_MS, NODE_ID) whose channel bus takes the shares in SHARES (JSON:
 * {app, channel, count, user?, info?}[]; with `user`, a presence share). It prints one JSON line
 * per channel bus report, and {"event":"ready","node":...} once its shares are in Redis.
 * Run with `node --import tsx`; SIGTERM closes it cleanly.
 */
import pino from 'pino';
import { RedisBroker } from '../../src/adapters/redis/redis-broker.js';
import type { BrokerEvents } from '../../src/core/broker/broker.js';

interface ShareSpec {
  app: string;
  channel: string;
  count: number;
  user?: string;
  info?: string;
}

const env = process.env;
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const quiet: BrokerEvents = { chat() {}, frame() {}, remoteBroadcast() {}, remoteViewers() {}, remoteDemand() {}, busState() {}, roomState() {} };

const broker = new RedisBroker({
  url: env.REDIS_URL!,
  prefix: env.PREFIX!,
  nodeId: env.NODE_ID ?? '',
  chatHistory: 10,
  roomTtlMs: 60_000,
  tiers: ['source'],
  log: pino({ level: 'silent' }),
  leaseMs: Number(env.LEASE_MS),
});
await broker.start(quiet);
broker.channels.start({
  message() {},
  control() {},
  reaped: (app, channel, userId) => print({ event: 'reaped', app, channel, userId }),
  resynced: (app, channel, userId, change) => print({ event: 'resynced', app, channel, userId, ...change }),
});
for (const s of JSON.parse(env.SHARES ?? '[]') as ShareSpec[]) {
  if (s.user === undefined) await broker.channels.setSubscriptions(s.app, s.channel, s.count);
  else await broker.channels.setPresence(s.app, s.channel, s.user, s.count, s.info ?? '{}');
}
print({ event: 'ready', node: broker.nodeId });
process.on('SIGTERM', () => void broker.close());
