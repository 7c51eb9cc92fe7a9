/**
 * One share this node holds in the channel bus, as an absolute count:
 * `s` subscriptions of a channel, `p` connections of a user in a presence channel, `c`
 * connections of an app. Its encoding (a JSON array) is the field name in the node's share hash
 * in Redis, which the reaping script decodes: keep the two in step.
 */
export type ShareEntry =
  | { kind: 's'; app: string; channel: string }
  | { kind: 'p'; app: string; channel: string; user: string }
  | { kind: 'c'; app: string };

export const subscriptionsEntry = (app: string, channel: string): string => JSON.stringify(['s', app, channel]);
export const presenceEntry = (app: string, channel: string, user: string): string => JSON.stringify(['p', app, channel, user]);
export const connectionsEntry = (app: string): string => JSON.stringify(['c', app]);

/** The entry an encoded share names, or null for anything else. */
export function parseEntry(encoded: string): ShareEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(encoded);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
  const [kind, app, channel, user] = v as string[];
  if (kind === 's' && v.length === 3) return { kind, app: app!, channel: channel! };
  if (kind === 'p' && v.length === 4) return { kind, app: app!, channel: channel!, user: user! };
  if (kind === 'c' && v.length === 2) return { kind, app: app! };
  return null;
}

export interface Share {
  count: number;
  /** A presence member's info (JSON); empty for other kinds. */
  info: string;
}

/**
 * This node's current shares, kept in memory so that they can be applied again whenever Redis
 * may have lost or removed them (after an outage, or after this node was reaped).
 */
export class ChannelShares {
  private readonly shares = new Map<string, Share>();

  /** Records a share; 0 removes it. */
  set(entry: string, count: number, info = ''): void {
    if (count > 0) this.shares.set(entry, { count, info });
    else this.shares.delete(entry);
  }

  get(entry: string): Share | undefined {
    return this.shares.get(entry);
  }

  get size(): number {
    return this.shares.size;
  }

  entries(): IterableIterator<[string, Share]> {
    return this.shares.entries();
  }
}

/** A count as the bus stores it: a whole number, 0 or more. */
export function absoluteCount(count: number): number {
  return Number.isFinite(count) && count > 0 ? Math.floor(count) : 0;
}
