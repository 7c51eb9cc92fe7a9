import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LocalBroker } from '../../src/adapters/local/local-broker.js';
import { RedisBroker } from '../../src/adapters/redis/redis-broker.js';
import type { Broker } from '../../src/core/broker/broker.js';
import { describeNeeding } from '../helpers/binaries.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { brokerContract, type BrokerFactory } from '../contract/broker-contract.js';
import { roomStateClusterContract, roomStateContract } from '../contract/room-state-contract.js';

async function localFactory(): Promise<BrokerFactory> {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-broker-'));
  const made: Broker[] = [];
  return {
    async make(opts) {
      const b = new LocalBroker({ dataDir: dir, chatHistory: opts?.chatHistory ?? 500, roomTtlMs: opts?.roomTtlMs ?? 600_000 });
      made.push(b);
      return b;
    },
    async cleanup() {
      await Promise.all(made.map((b) => b.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let prefixes = 0;
async function redisFactory(): Promise<BrokerFactory> {
  const redis = await RedisServer.start();
  const prefix = `t${++prefixes}:`;
  const made: Broker[] = [];
  return {
    async make(opts) {
      const b = new RedisBroker({ url: redis.url, prefix, nodeId: '', chatHistory: opts?.chatHistory ?? 500, roomTtlMs: opts?.roomTtlMs ?? 60_000, tiers: ['source'], log: pino({ level: 'silent' }) });
      made.push(b);
      return b;
    },
    async cleanup() {
      await Promise.all(made.map((b) => b.close()));
      await redis.stop();
    },
  };
}

brokerContract('local', localFactory);
roomStateContract('local', localFactory);
describeNeeding(redisSkip(), 'with redis-server', () => {
  brokerContract('redis', redisFactory);
  roomStateContract('redis', redisFactory);
  roomStateClusterContract('redis', redisFactory);
});
