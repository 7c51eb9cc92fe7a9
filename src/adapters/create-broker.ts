import type { Config } from '../config/schema.js';
import type { Broker } from '../core/broker/broker.js';
import type { Log } from '../core/log.js';
import { LocalBroker } from './local/local-broker.js';
import { RedisBroker } from './redis/redis-broker.js';

/** The broker the configuration asks for: Redis when REDIS_URL is set, this process otherwise. */
export function createBroker(config: Config, tiers: readonly string[], log: Log): Broker {
  if (!config.redisUrl) return new LocalBroker({ dataDir: config.dataDir, chatHistory: config.chatHistory, roomTtlMs: config.roomTtl * 1000 });
  return new RedisBroker({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    nodeId: config.nodeId,
    chatHistory: config.chatHistory,
    roomTtlMs: config.roomTtl * 1000,
    tiers,
    log,
  });
}
