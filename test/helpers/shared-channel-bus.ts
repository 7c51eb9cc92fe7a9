import type { ChannelBus, ChannelBusEvents, CountChange } from '../../src/core/broker/channel-bus.js';

/**
 * One channel bus shared by several in-process "nodes", for testing what the hub derives from
 * the cluster-wide before/after (first member, last subscriber) without a Redis. Each node's
 * shares are kept apart, as the bus contract says; `reap` removes a dead node's shares from
 * another node, which is told what left (`reaped`). Deliveries are asynchronous, as over a network.
 */
export class SharedChannelBus {
  private readonly nodes: Node[] = [];
  readonly cache = new Map<string, string>();

  node(): ChannelBus & { readonly index: number } {
    const n = new Node(this, this.nodes.length);
    this.nodes.push(n);
    return n;
  }

  all(): readonly Node[] {
    return this.nodes;
  }

  /** Node `dead`'s shares go; `by` reports what that made leave for good. */
  reap(dead: number, by: number): void {
    const d = this.nodes[dead]!;
    d.dead = true;
    const reaper = this.nodes[by]!;
    for (const [k, users] of d.presence) {
      for (const id of users.keys()) {
        const before = this.userTotal(k, id);
        users.delete(id);
        if (before > 0 && this.userTotal(k, id) === 0) reaper.events?.reaped(...split(k), id);
      }
    }
    for (const [k, n] of [...d.subs]) {
      d.subs.delete(k);
      if (n > 0 && this.subTotal(k) === 0) reaper.events?.reaped(...split(k), null);
    }
  }

  subTotal(k: string): number {
    return this.nodes.reduce((s, n) => s + (n.subs.get(k) ?? 0), 0);
  }

  userTotal(k: string, user: string): number {
    return this.nodes.reduce((s, n) => s + (n.presence.get(k)?.get(user)?.count ?? 0), 0);
  }

  deliver(app: string, channel: string, payload: string): void {
    const k = key(app, channel);
    for (const n of this.nodes) if (!n.dead && n.listening.has(k)) setImmediate(() => n.events?.message(app, channel, payload));
  }

  deliverControl(app: string, payload: string): void {
    for (const n of this.nodes) if (!n.dead && n.apps.has(app)) setImmediate(() => n.events?.control(app, payload));
  }
}

class Node implements ChannelBus {
  events: ChannelBusEvents | null = null;
  dead = false;
  readonly listening = new Set<string>();
  readonly apps = new Set<string>();
  readonly subs = new Map<string, number>();
  readonly presence = new Map<string, Map<string, { count: number; info: string }>>();
  readonly connections = new Map<string, number>();

  constructor(
    private readonly bus: SharedChannelBus,
    readonly index: number,
  ) {}

  start(events: ChannelBusEvents): void {
    this.events = events;
  }

  async listen(app: string, channel: string): Promise<void> {
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
    this.bus.deliver(app, channel, payload);
  }

  async control(app: string, payload: string): Promise<void> {
    this.bus.deliverControl(app, payload);
  }

  async setSubscriptions(app: string, channel: string, count: number): Promise<CountChange> {
    const k = key(app, channel);
    const before = this.bus.subTotal(k);
    this.subs.set(k, count);
    return { before, after: this.bus.subTotal(k) };
  }

  async setPresence(app: string, channel: string, userId: string, count: number, info: string): Promise<CountChange> {
    const k = key(app, channel);
    const before = this.bus.userTotal(k, userId);
    let users = this.presence.get(k);
    if (!users) this.presence.set(k, (users = new Map()));
    if (count > 0) users.set(userId, { count, info });
    else users.delete(userId);
    return { before, after: this.bus.userTotal(k, userId) };
  }

  async members(app: string, channel: string): Promise<Map<string, string>> {
    const k = key(app, channel);
    const out = new Map<string, string>();
    for (const n of this.bus.all()) for (const [id, u] of n.presence.get(k) ?? []) if (u.count > 0) out.set(id, u.info);
    return out;
  }

  async channels(app: string): Promise<Map<string, { subscriptions: number; users: number }>> {
    const out = new Map<string, { subscriptions: number; users: number }>();
    const names = new Set<string>();
    for (const n of this.bus.all()) for (const k of n.subs.keys()) if (k.startsWith(`${app}\n`)) names.add(k);
    for (const k of names) {
      const subscriptions = this.bus.subTotal(k);
      if (subscriptions > 0) out.set(split(k)[1], { subscriptions, users: (await this.members(...split(k))).size });
    }
    return out;
  }

  async setCache(app: string, channel: string, payload: string): Promise<void> {
    this.bus.cache.set(key(app, channel), payload);
  }

  async getCache(app: string, channel: string): Promise<string | null> {
    return this.bus.cache.get(key(app, channel)) ?? null;
  }

  setConnections(app: string, count: number): number {
    this.connections.set(app, count);
    return this.bus.all().reduce((s, n) => s + (n.connections.get(app) ?? 0), 0);
  }
}

function key(app: string, channel: string): string {
  return `${app}\n${channel}`;
}

function split(k: string): [string, string] {
  const i = k.indexOf('\n');
  return [k.slice(0, i), k.slice(i + 1)];
}
