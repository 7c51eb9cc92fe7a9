import type { ChannelBus, ChannelBusEvents, CountChange } from '../../core/broker/channel-bus.js';

interface Cached {
  payload: string;
  until: number;
}

/** Channels on one node: everything is this process's own, so totals are this node's counts. */
export class LocalChannelBus implements ChannelBus {
  private events: ChannelBusEvents | null = null;
  private readonly listening = new Set<string>();
  private readonly apps = new Set<string>();
  private readonly subscriptions = new Map<string, number>();
  /** app\nchannel -> user -> {count, info} */
  private readonly presence = new Map<string, Map<string, { count: number; info: string }>>();
  private readonly cache = new Map<string, Cached>();
  private readonly connections = new Map<string, number>();

  start(events: ChannelBusEvents): void {
    this.events = events;
  }

  listen(app: string, channel: string): void {
    this.listening.add(key(app, channel));
  }

  unlisten(app: string, channel: string): void {
    this.listening.delete(key(app, channel));
  }

  listenApp(app: string): void {
    this.apps.add(app);
  }

  unlistenApp(app: string): void {
    this.apps.delete(app);
  }

  async publish(app: string, channel: string, payload: string): Promise<void> {
    if (this.listening.has(key(app, channel))) this.events?.message(app, channel, payload);
  }

  async control(app: string, payload: string): Promise<void> {
    if (this.apps.has(app)) this.events?.control(app, payload);
  }

  async setSubscriptions(app: string, channel: string, count: number): Promise<CountChange> {
    const k = key(app, channel);
    const before = this.subscriptions.get(k) ?? 0;
    if (count > 0) this.subscriptions.set(k, count);
    else this.subscriptions.delete(k);
    return { before, after: Math.max(0, count) };
  }

  async setPresence(app: string, channel: string, userId: string, count: number, info: string): Promise<CountChange> {
    const k = key(app, channel);
    let users = this.presence.get(k);
    const before = users?.get(userId)?.count ?? 0;
    if (count > 0) {
      if (!users) this.presence.set(k, (users = new Map()));
      users.set(userId, { count, info });
    } else if (users) {
      users.delete(userId);
      if (users.size === 0) this.presence.delete(k);
    }
    return { before, after: Math.max(0, count) };
  }

  async members(app: string, channel: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [id, m] of this.presence.get(key(app, channel)) ?? []) out.set(id, m.info);
    return out;
  }

  async channels(app: string): Promise<Map<string, { subscriptions: number; users: number }>> {
    const out = new Map<string, { subscriptions: number; users: number }>();
    const prefix = `${app}\n`;
    for (const [k, n] of this.subscriptions) {
      if (!k.startsWith(prefix)) continue;
      out.set(k.slice(prefix.length), { subscriptions: n, users: this.presence.get(k)?.size ?? 0 });
    }
    return out;
  }

  async setCache(app: string, channel: string, payload: string, ttlMs: number): Promise<void> {
    this.cache.set(key(app, channel), { payload, until: Date.now() + ttlMs });
  }

  async getCache(app: string, channel: string): Promise<string | null> {
    const k = key(app, channel);
    const c = this.cache.get(k);
    if (!c) return null;
    if (c.until < Date.now()) {
      this.cache.delete(k);
      return null;
    }
    return c.payload;
  }

  setConnections(app: string, count: number): number {
    if (count > 0) this.connections.set(app, count);
    else this.connections.delete(app);
    return count;
  }
}

function key(app: string, channel: string): string {
  return `${app}\n${channel}`;
}
