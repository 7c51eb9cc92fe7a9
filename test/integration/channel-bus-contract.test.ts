import pino from 'pino';
import { LocalChannelBus } from '../../src/adapters/local/local-channel-bus.js';
import { RedisBroker } from '../../src/adapters/redis/redis-broker.js';
import type { ChannelBus } from '../../src/core/broker/channel-bus.js';
import { describeNeeding } from '../helpers/binaries.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { started } from '../contract/broker-contract.js';
import { channelBusContract, type ChannelBusFactory } from '../contract/channel-bus-contract.js';

async function localFactory(): Promise<ChannelBusFactory> {
  return {
    async make(): Promise<ChannelBus> {
      return new LocalChannelBus();
    },
    async cleanup() {},
  };
}

let prefixes = 0;
async function redisFactory(): Promise<ChannelBusFactory> {
  const redis = await RedisServer.start();
  const made: RedisBroker[] = [];
  return {
    async make() {
      const b = new RedisBroker({ url: redis.url, prefix: `cb${++prefixes}:`, nodeId: '', chatHistory: 100, roomTtlMs: 60_000, tiers: ['source'], log: pino({ level: 'silent' }) });
      made.push(b);
      await started(b);
      return b.channels;
    },
    async cleanup() {
      await Promise.all(made.map((b) => b.close()));
      await redis.stop();
    },
  };
}

channelBusContract('local', localFactory);
describeNeeding(redisSkip(), 'with redis-server', () => channelBusContract('redis', redisFactory));
