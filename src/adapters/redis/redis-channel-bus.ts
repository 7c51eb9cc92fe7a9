import { randomBytes } from 'node:crypto';
import { BusUnavailableError } from '../../core/broker/broker.js';
import type { ChannelBus, ChannelBusEvents, CountChange } from '../../core/broker/channel-bus.js';
import type { Log } from '../../core/log.js';
import { applyShares } from './apply-shares.js';
import { ChannelListeners } from './channel-listeners.js';
import { defineBusCommands, shareCommand, type BusRedis } from './channel-bus-commands.js';
import { reapDeadNodes } from './channel-reaper.js';
import { absoluteCount, ChannelShares, connectionsEntry, presenceEntry, subscriptionsEntry, type Share, type ShareEntry } from './channel-shares.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

export interface RedisChannelBusOptions {
  conns: RedisConnections;
  keys: RedisKeys;
  nodeId: string;
  /** The node lease (RedisBroker's): a node whose liveness key is gone is reaped. */
  leaseMs: number;
  log: Log;
}

// Reports made before `start` (a resync at boot finding shares of a previous run): kept for it, up to this many.
const MAX_EARLY_REPORTS = 10_000;

/**
 * The channel bus over Redis (keys and scripts: redis-keys.ts, channel-bus-scripts.ts). This
 * node's shares are absolute counts, kept in memory (ChannelShares) and in its share hash in
 * Redis. RedisBroker drives it: `resync` whenever the bus comes back (the shares are applied
 * again, and stale ones removed), `tick` every third of the lease (connection totals, dead
 * nodes reaped, and a resync if Redis no longer holds exactly this node's shares, e.g. because
 * it was reaped while stalled). Only a node whose bus was started reaps, for it announces.
 */
export class RedisChannelBus implements ChannelBus {
  private events: ChannelBusEvents | null = null;
  private early: ((e: ChannelBusEvents) => void)[] = [];
  private readonly cmd: BusRedis;
  private readonly listeners: ChannelListeners;
  private readonly shares = new ChannelShares();
  /** app -> this node's connections (as last set). */
  private readonly connections = new Map<string, number>();
  /** app -> connections on the other nodes, as last read. */
  private readonly otherConnections = new Map<string, number>();
  private readonly dirtyApps = new Set<string>();
  /** While shares are being applied again, writes wait for it (they follow it, in order). */
  private syncing: Promise<void> | null = null;
  private resyncWanted = false;
  /** Redis's data epoch as last seen: another one means Redis lost its data meanwhile. */
  private epoch: string | null = null;
  /** Nodes are not reaped until this node has been connected for a lease (they reconnect too). */
  private reapAfter = Infinity;
  private closed = false;

  constructor(private readonly o: RedisChannelBusOptions) {
    this.cmd = defineBusCommands(o.conns.cmd);
    this.listeners = new ChannelListeners(o.conns, o.keys, () => this.events);
  }

  start(events: ChannelBusEvents): void {
    this.events = events;
    const early = this.early;
    this.early = [];
    for (const report of early) report(events);
  }

  close(): void {
    this.closed = true;
    this.events = null;
    this.early = [];
  }

  // ---- pub/sub ----

  listen(app: string, channel: string): Promise<void> | void {
    return this.listeners.listen(app, channel);
  }
  unlisten(app: string, channel: string): void {
    this.listeners.unlisten(app, channel);
  }
  listenApp(app: string): void {
    this.listeners.listenApp(app);
  }
  unlistenApp(app: string): void {
    this.listeners.unlistenApp(app);
  }

  async publish(app: string, channel: string, payload: string): Promise<void> {
    await this.command('publish', () => this.cmd.publish(this.o.keys.busChannel(app, channel), payload));
  }

  async control(app: string, payload: string): Promise<void> {
    await this.command('control', () => this.cmd.publish(this.o.keys.busControl(app), payload));
  }

  // ---- shares ----

  async setSubscriptions(app: string, channel: string, count: number): Promise<CountChange> {
    const e: ShareEntry = { kind: 's', app, channel };
    return this.setShare(e, subscriptionsEntry(app, channel), absoluteCount(count), '');
  }

  async setPresence(app: string, channel: string, userId: string, count: number, info: string): Promise<CountChange> {
    const e: ShareEntry = { kind: 'p', app, channel, user: userId };
    return this.setShare(e, presenceEntry(app, channel, userId), absoluteCount(count), info);
  }

  setConnections(app: string, count: number): number {
    const n = absoluteCount(count);
    const others = this.otherConnections.get(app) ?? 0;
    if (n === (this.connections.get(app) ?? 0)) return others + n;
    this.shares.set(connectionsEntry(app), n);
    if (n > 0) this.connections.set(app, n);
    else this.connections.delete(app);
    // Coalesced: a burst of connects and disconnects is one write.
    if (this.dirtyApps.size === 0) setImmediate(() => void this.flushConnections());
    this.dirtyApps.add(app);
    return others + n;
  }

  private async setShare(e: ShareEntry, entry: string, count: number, info: string): Promise<CountChange> {
    this.shares.set(entry, count, info);
    const [before, after] = await this.write('set share', () => this.sendShare(e, entry, count, info) as Promise<[number, number]>);
    return { before: Number(before), after: Number(after) };
  }

  private async flushConnections(): Promise<void> {
    const apps = [...this.dirtyApps];
    this.dirtyApps.clear();
    await Promise.all(
      apps.map(async (app) => {
        const n = this.connections.get(app) ?? 0;
        try {
          const total = await this.write('connections', () => this.sendShare({ kind: 'c', app }, connectionsEntry(app), n, '') as Promise<number>);
          this.otherConnections.set(app, Math.max(0, Number(total) - n));
        } catch {
          // Kept in memory: applied when the bus is back.
        }
      }),
    );
  }

  /** Runs the script that sets one share. */
  private sendShare(e: ShareEntry, entry: string, count: number, info: string): Promise<unknown> {
    const [name, args] = shareCommand(this.o.keys, this.o.nodeId, e, entry, count, info);
    return this.cmd[name](...args);
  }

  // ---- reads ----

  async members(app: string, channel: string): Promise<Map<string, string>> {
    const all = await this.command('members', () => this.cmd.hgetall(this.o.keys.busMembers(app, channel)));
    return new Map(Object.entries(all));
  }

  async channels(app: string): Promise<Map<string, { subscriptions: number; users: number }>> {
    const k = this.o.keys;
    const res = await this.command('channels', () => this.cmd.multi().hgetall(k.busSubscriptions(app)).hgetall(k.busUsers(app)).exec());
    const [subs, users] = (res ?? []).map(([, v]) => (v ?? {}) as Record<string, string>);
    const out = new Map<string, { subscriptions: number; users: number }>();
    for (const [channel, n] of Object.entries(subs ?? {})) out.set(channel, { subscriptions: Number(n), users: Number(users?.[channel] ?? 0) });
    return out;
  }

  async setCache(app: string, channel: string, payload: string, ttlMs: number): Promise<void> {
    await this.command('cache', () => this.cmd.set(this.o.keys.busCache(app, channel), payload, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async getCache(app: string, channel: string): Promise<string | null> {
    return this.command('cache', () => this.cmd.get(this.o.keys.busCache(app, channel)));
  }

  // ---- commands ----

  /** A command that needs the bus now: refused at once while it is down. */
  private async command<T>(what: string, send: () => Promise<T>): Promise<T> {
    if (!this.o.conns.isUp) throw new BusUnavailableError(`the bus is down: ${what} refused`);
    try {
      return await send();
    } catch (err) {
      this.o.conns.noteError(err, `channel bus ${what}`);
      throw new BusUnavailableError(`${what} failed on the bus`);
    }
  }

  /** A share write: after any resync in progress; a failure makes the next tick apply every share again. */
  private async write<T>(what: string, send: () => Promise<T>): Promise<T> {
    if (this.syncing) await this.syncing;
    try {
      return await this.command(what, send);
    } catch (err) {
      if (this.o.conns.isUp) this.resyncWanted = true;
      throw err;
    }
  }

  // ---- resynchronisation, driven by RedisBroker ----

  /**
   * The bus is (back) up: once `lease` (this node's liveness key) is written, makes this node's
   * share hash equal to its shares as they are now, and reports what that changes (see
   * `resynced`), unless Redis lost its data meanwhile. Writes made from now on wait for it, then
   * go out and report to their callers as usual.
   */
  resync(lease: Promise<unknown>): Promise<void> {
    const previous = this.syncing;
    const run: Promise<void> = (async () => {
      if (previous) await previous;
      const shares = new Map([...this.shares.entries()].map(([entry, s]) => [entry, { ...s }]));
      await lease;
      await this.applyShares(shares);
    })()
      .catch((err: unknown) => {
        this.resyncWanted = true;
        this.o.conns.noteError(err, 'channel bus resync');
      })
      .finally(() => {
        if (this.syncing === run) this.syncing = null;
      });
    this.syncing = run;
    this.reapAfter = Date.now() + this.o.leaseMs;
    return run;
  }

  private async applyShares(shares: ReadonlyMap<string, Share>): Promise<void> {
    const epoch = await this.cmd.busEpoch(this.o.keys.busEpoch(), randomBytes(8).toString('hex'));
    // Another epoch: Redis lost its data, and every node is rebuilding what clients know.
    const report = this.epoch === null || this.epoch === epoch;
    this.epoch = epoch;
    const applied = await applyShares(this.cmd, this.o.keys, this.o.nodeId, shares);
    if (applied.failed) this.resyncWanted = true;
    for (const [app, n] of applied.otherConnections) this.otherConnections.set(app, n);
    if (report) for (const c of applied.changes) this.report((ev) => ev.resynced?.(c.app, c.channel, c.userId, c.change));
    if (applied.written > 0) this.o.log.info({ node: this.o.nodeId, shares: applied.written, reported: report ? applied.changes.length : 0, rebuilt: !report }, 'channel bus shares applied');
  }

  /** Every third of the lease, while the bus is up. */
  async tick(): Promise<void> {
    if (!this.o.conns.isUp || this.syncing || this.closed) return;
    const k = this.o.keys;
    try {
      const [nodes, held] = await Promise.all([this.cmd.smembers(k.busNodes()), this.cmd.hlen(k.busShare(this.o.nodeId))]);
      if (this.resyncWanted || (held !== this.shares.size && this.dirtyApps.size === 0)) {
        // Reaped while stalled past the lease, a write that failed, or Redis lost its data.
        this.resyncWanted = false;
        await this.resync(Promise.resolve());
      }
      if (this.events && Date.now() >= this.reapAfter) await this.reap(nodes);
      await this.readConnections();
    } catch (err) {
      this.o.conns.noteError(err, 'channel bus tick');
    }
  }

  private async readConnections(): Promise<void> {
    const apps = [...new Set([...this.connections.keys(), ...this.listeners.listenedApps()])];
    if (apps.length === 0) return;
    const p = this.cmd.pipeline();
    for (const app of apps) p.hgetall(this.o.keys.busConnections(app));
    const res = (await p.exec()) ?? [];
    apps.forEach((app, i) => {
      const counts = (res[i]?.[1] ?? {}) as Record<string, string>;
      let others = 0;
      for (const [node, n] of Object.entries(counts)) if (node !== this.o.nodeId) others += Number(n);
      this.otherConnections.set(app, others);
    });
  }

  private async reap(nodes: string[]): Promise<void> {
    const reaped = await reapDeadNodes(this.cmd, this.o.keys, this.o.nodeId, nodes);
    for (const [node, shares] of reaped) {
      this.o.log.info({ node: this.o.nodeId, dead: node, removed: shares.length }, 'reaped the channel shares of a node that is gone');
      for (const s of shares) this.report((ev) => ev.reaped(s.app, s.channel, s.userId));
    }
  }

  private report(f: (events: ChannelBusEvents) => void): void {
    if (this.events) f(this.events);
    else if (!this.closed && this.early.length < MAX_EARLY_REPORTS) this.early.push(f);
  }
}
