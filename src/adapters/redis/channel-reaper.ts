import type { BusRedis } from './channel-bus-commands.js';
import type { RedisKeys } from './redis-keys.js';

/** What reaping a node removed for good: a member (userId) or a channel's last subscriptions (null). */
export interface ReapedShare {
  app: string;
  channel: string;
  userId: string | null;
}

/**
 * Finds the nodes that hold shares but whose liveness key (RedisBroker's lease) is gone, and
 * removes their shares, one atomic script per node: whichever live node runs it first reaps,
 * the others find nothing. Members come before channels, so that "member left" is announced
 * before "channel vacated".
 */
export async function reapDeadNodes(cmd: BusRedis, keys: RedisKeys, self: string, nodes: readonly string[]): Promise<Map<string, ReapedShare[]>> {
  const out = new Map<string, ReapedShare[]>();
  const others = nodes.filter((n) => n !== self);
  if (others.length === 0) return out;
  const alive = await cmd.mget(others.map((n) => keys.node(n)));
  for (const [i, node] of others.entries()) {
    if (alive[i] !== null) continue;
    const rows = await cmd.busReap(keys.node(node), keys.busNodes(), keys.busShare(node), keys.busBase(), node);
    const reaped = rows.map(([kind, app, channel, user]) => ({ app, channel, userId: kind === 'u' ? user : null }));
    reaped.sort((a, b) => Number(a.userId === null) - Number(b.userId === null));
    if (reaped.length > 0) out.set(node, reaped);
  }
  return out;
}
