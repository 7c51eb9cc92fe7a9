import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';

/**
 * Tiers of a room consumed on other nodes: the subscribers of each tier's frame channel, less
 * this node's own subscription (`mine`).
 */
export async function readDemand(cmd: Redis, keys: RedisKeys, room: string, tiers: readonly string[], mine: ReadonlySet<string> | undefined): Promise<Set<string>> {
  const res = (await cmd.call('PUBSUB', 'NUMSUB', ...tiers.map((t) => keys.frameChannel(room, t)))) as (string | number)[];
  const now = new Set<string>();
  tiers.forEach((t, i) => {
    if (Number(res[i * 2 + 1]) - (mine?.has(t) ? 1 : 0) > 0) now.add(t);
  });
  return now;
}
