import type { CountChange } from '../../core/broker/channel-bus.js';
import { shareCommand, type BusPipeline, type BusRedis } from './channel-bus-commands.js';
import { parseEntry, type Share, type ShareEntry } from './channel-shares.js';
import type { RedisKeys } from './redis-keys.js';

/** A cluster total that crossed 0 when a share was applied: a member (userId) or a channel's subscriptions (null). */
export interface AppliedChange {
  app: string;
  channel: string;
  userId: string | null;
  change: CountChange;
}

export interface AppliedShares {
  /** How many shares were written. */
  written: number;
  /** In the order they are announced: channels occupied, then members, then channels vacated. */
  changes: AppliedChange[];
  /** app -> connections of the other nodes, as the writes returned them. */
  otherConnections: Map<string, number>;
  /** Some writes failed: apply again later. */
  failed: boolean;
}

/**
 * Makes a node's share hash in Redis equal to `shares`: each share written again (a value set
 * twice counts once), and each stored share that is no longer held set to 0. One pipeline.
 */
export async function applyShares(cmd: BusRedis, keys: RedisKeys, node: string, shares: ReadonlyMap<string, Share>): Promise<AppliedShares> {
  const stored = await cmd.hgetall(keys.busShare(node));
  const todo: { entry: string; e: ShareEntry; count: number; info: string }[] = [];
  for (const [entry, share] of shares) {
    const e = parseEntry(entry);
    if (e) todo.push({ entry, e, count: share.count, info: share.info });
  }
  for (const entry of Object.keys(stored)) {
    const e = shares.has(entry) ? null : parseEntry(entry);
    if (e) todo.push({ entry, e, count: 0, info: '' });
  }
  const out: AppliedShares = { written: todo.length, changes: [], otherConnections: new Map(), failed: false };
  if (todo.length === 0) return out;
  const p = cmd.pipeline() as BusPipeline;
  for (const t of todo) {
    const [name, args] = shareCommand(keys, node, t.e, t.entry, t.count, t.info);
    p[name](...args);
  }
  for (const [i, [err, res]] of ((await p.exec()) ?? []).entries()) {
    const { e, count } = todo[i]!;
    if (err) out.failed = true;
    else if (e.kind === 'c') out.otherConnections.set(e.app, Math.max(0, Number(res) - count));
    else {
      const [before, after] = (res as [number, number]).map(Number) as [number, number];
      if (before > 0 !== after > 0) out.changes.push({ app: e.app, channel: e.channel, userId: e.kind === 'p' ? e.user : null, change: { before, after } });
    }
  }
  const rank = (c: AppliedChange) => (c.userId !== null ? 1 : c.change.after > 0 ? 0 : 2);
  out.changes.sort((x, y) => rank(x) - rank(y));
  return out;
}
