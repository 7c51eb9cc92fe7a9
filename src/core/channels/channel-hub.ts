import { BusUnavailableError } from '../broker/broker.js';
import type { ChannelBus, ChannelBusEvents, CountChange } from '../broker/channel-bus.js';
import type { Log } from '../log.js';
import { AppConnections } from './app-connections.js';
import { busMessageEvent, decodeBusMessage, encodeBusMessage, parseUserInfo, type BusMessage } from './bus-message.js';
import type { ChannelEventEncoder, ChannelSubscriber } from './channel-events.js';
import { noopChannelHooks, type ChannelHooks } from './channel-hooks.js';
import { ChannelPresence, type PresenceJoin } from './channel-presence.js';
import { CountSync } from './count-sync.js';
import { LocalChannel } from './local-channel.js';

export type { PresenceJoin } from './channel-presence.js';

export interface ChannelHubOptions {
  bus: ChannelBus;
  /** The one protocol that speaks in channels: each event is encoded once per node. */
  encoder: ChannelEventEncoder;
  hooks?: ChannelHooks;
  log: Log;
  /** How long a cache channel keeps its last event. */
  cacheTtlMs?: number;
}

export interface SubscribeRequest {
  app: string;
  channel: string;
  subscriber: ChannelSubscriber;
  /** A cache channel: the subscriber gets its last event, or a cache_miss. */
  cache?: boolean;
  presence?: PresenceJoin;
  /**
   * The subscription holds: send the protocol's confirmation now. Nothing of the channel reaches
   * the subscriber before this; what arrived meanwhile follows right after. `members`: the
   * presence channel's members in the cluster (user id -> info), the subscriber's user included.
   */
  succeeded(members: ReadonlyMap<string, unknown> | null): void;
}

/** cancelled: unsubscribed (or the subscriber fell behind) before it completed. */
export type SubscribeOutcome = 'subscribed' | 'cancelled' | 'presence_full' | 'unavailable';

export interface PublishOptions {
  /** A socket id that must not get the event, on any node (the sender of a client event; the HTTP API's socket_id). */
  except?: string;
  /** The sender of a client event on a presence channel. */
  userId?: string;
  /** A cache channel: the event becomes its last event. */
  cache?: boolean;
}

export interface HubStats {
  /** Channels with subscribers on this node. */
  channels: number;
  subscriptions: number;
  /** Event texts handed to subscribers here, and events published from here, since start. */
  delivered: number;
  published: number;
}

// Pusher keeps a cache channel's last event for 30 minutes.
const CACHE_TTL_MS = 30 * 60_000;

const key = (app: string, channel: string): string => `${app}\n${channel}`;

/**
 * The channels of every app on this node, shared with the other nodes through the channel bus.
 * Local subscribers per (app, channel); the node listens on the bus while it has any. It reports
 * its absolute subscription and presence counts and acts on the cluster-wide before/after they
 * return: occupied and vacated, member_added for a user's first connection anywhere and
 * member_removed for their last, each announced once, through the bus, to every node.
 * Events are published through the bus with the socket to skip inside, so exclusion holds on
 * every node; each node encodes an event once and hands the text to its subscribers.
 */
export class ChannelHub implements ChannelBusEvents {
  readonly connections: AppConnections;
  private readonly presence: ChannelPresence;
  private readonly bus: ChannelBus;
  private readonly encoder: ChannelEventEncoder;
  private readonly hooks: ChannelHooks;
  private readonly log: Log;
  private readonly cacheTtlMs: number;
  private readonly channels = new Map<string, LocalChannel>();
  private delivered = 0;
  private published = 0;

  constructor(opts: ChannelHubOptions) {
    this.bus = opts.bus;
    this.encoder = opts.encoder;
    this.hooks = opts.hooks ?? noopChannelHooks;
    this.log = opts.log;
    this.cacheTtlMs = opts.cacheTtlMs ?? CACHE_TTL_MS;
    this.connections = new AppConnections(this.bus, this.log);
    this.presence = new ChannelPresence(this.bus, this.hooks, this.log, (ch, report) => this.settle(ch, report));
  }

  start(): void {
    this.bus.start(this);
  }

  async subscribe(req: SubscribeRequest): Promise<SubscribeOutcome> {
    const { app, channel, subscriber: sub } = req;
    const ch = this.entry(app, channel);
    ch.addPending(sub);
    try {
      await this.listen(ch);
      let members: Map<string, unknown> | null = null;
      if (req.presence) {
        const p = req.presence;
        const room = await this.presence.hasRoom(ch, p);
        if (!ch.isPending(sub)) return 'cancelled';
        if (!room) {
          this.drop(ch, sub);
          return 'presence_full';
        }
        await this.presence.join(ch, sub, p);
        if (!ch.isPending(sub)) return 'cancelled';
        members = await this.presence.members(app, channel);
        // The bus may not show this node's own report yet (a driver that caches reads).
        if (!members.has(p.userId)) members.set(p.userId, parseUserInfo(p.info));
      }
      const cached = req.cache ? await this.bus.getCache(app, channel) : null;
      if (!ch.isPending(sub)) return 'cancelled';
      const held = ch.activate(sub);
      if (held === null) {
        this.drop(ch, sub);
        sub.onSendDropped();
        return 'cancelled';
      }
      req.succeeded(members);
      if (req.cache) this.sendCached(ch, sub, cached);
      for (const text of ch.afterConfirmation(sub, held, members, Date.now())) {
        if (sub.sendText(text) === 'dropped') {
          sub.onSendDropped();
          break;
        }
      }
      this.syncSubscriptions(ch);
      return 'subscribed';
    } catch (err) {
      if (!(err instanceof BusUnavailableError)) this.log.error({ err, app }, 'subscription could not be completed');
      if (ch.isPending(sub)) this.drop(ch, sub);
      return 'unavailable';
    }
  }

  unsubscribe(app: string, channel: string, sub: ChannelSubscriber): void {
    const ch = this.channels.get(key(app, channel));
    if (!ch) return;
    const wasActive = ch.remove(sub);
    this.presence.leave(ch, sub);
    if (wasActive) this.syncSubscriptions(ch);
    this.release(ch);
  }

  /** Publishes an event to the channel's subscribers on every node. Rejects with BusUnavailableError. */
  async publish(app: string, channel: string, event: string, data: string, opts: PublishOptions = {}): Promise<void> {
    const m: BusMessage = { k: 'e', e: event, d: data };
    if (opts.userId !== undefined) m.u = opts.userId;
    const last = opts.cache ? encodeBusMessage(m) : null;
    if (opts.except !== undefined) m.x = opts.except;
    this.published++;
    const work = [this.bus.publish(app, channel, encodeBusMessage(m))];
    if (last !== null) work.push(this.bus.setCache(app, channel, last, this.cacheTtlMs));
    await Promise.all(work);
  }

  /** A client event: published to every subscriber but its sender, and reported. */
  async clientEvent(app: string, channel: string, event: string, data: string, sender: { socketId: string; userId?: string; cache?: boolean }): Promise<void> {
    await this.publish(app, channel, event, data, { except: sender.socketId, userId: sender.userId, cache: sender.cache });
    this.hooks.clientEvent(app, channel, event, data, sender.socketId, sender.userId);
  }

  /** Occupied channels of the app in the cluster. */
  occupied(app: string): Promise<Map<string, { subscriptions: number; users: number }>> {
    return this.bus.channels(app);
  }

  /** A presence channel's members in the cluster: user id -> info. */
  members(app: string, channel: string): Promise<Map<string, unknown>> {
    return this.presence.members(app, channel);
  }

  /** Reports every count of this node again (after a bus outage: absolute counts cannot double). */
  resync(): void {
    for (const ch of this.channels.values()) {
      this.settle(ch, ch.subscriptions.resync());
      for (const u of ch.users.values()) this.settle(ch, u.sync.resync());
    }
    this.connections.resync();
  }

  stats(): HubStats {
    let subscriptions = 0;
    for (const ch of this.channels.values()) subscriptions += ch.active.size;
    return { channels: this.channels.size, subscriptions, delivered: this.delivered, published: this.published };
  }

  // ---- from the bus ----

  message(app: string, channel: string, payload: string): void {
    const ch = this.channels.get(key(app, channel));
    if (!ch || ch.subscriberCount === 0) return;
    const m = decodeBusMessage(payload);
    if (!m) {
      this.log.warn({ app }, 'unreadable channel message from the bus ignored');
      return;
    }
    const event = busMessageEvent(channel, m);
    this.delivered += ch.deliver(event, this.encoder.encode(event), m.k === 'r' ? undefined : m.x);
  }

  control(app: string, payload: string): void {
    this.connections.onControl(app, payload);
  }

  reaped(app: string, channel: string, userId: string | null): void {
    if (userId === null) {
      this.hooks.vacated(app, channel);
      return;
    }
    this.presence.reaped(app, channel, userId);
  }

  /**
   * A change the bus found when it applied this node's counts again after an outage: announced
   * like the answer to a report, so a member who joined or left while the bus was away is still
   * added or removed everywhere, once.
   */
  resynced(app: string, channel: string, userId: string | null, change: CountChange): void {
    if (userId === null) return this.onOccupancy(app, channel, change);
    this.presence.resynced(app, channel, userId, change, this.channels.get(key(app, channel))?.users.get(userId)?.info ?? null);
  }

  // ---- inside ----

  private entry(app: string, channel: string): LocalChannel {
    const k = key(app, channel);
    let ch = this.channels.get(k);
    if (!ch) {
      const sync: CountSync = new CountSync(
        (n) => this.bus.setSubscriptions(app, channel, n),
        (c) => this.onOccupancy(app, channel, c),
      );
      ch = new LocalChannel(app, channel, sync);
      this.channels.set(k, ch);
    }
    return ch;
  }

  private async listen(ch: LocalChannel): Promise<void> {
    if (!ch.listening) {
      const p = Promise.resolve().then(() => this.bus.listen(ch.app, ch.name));
      ch.listening = p;
      p.catch(() => {
        if (ch.listening === p) ch.listening = null;
      });
    }
    await ch.listening;
  }

  /** Removes a subscriber whose subscription did not complete. */
  private drop(ch: LocalChannel, sub: ChannelSubscriber): void {
    ch.remove(sub);
    this.presence.leave(ch, sub);
    this.release(ch);
  }

  private syncSubscriptions(ch: LocalChannel): void {
    this.settle(ch, ch.subscriptions.set(ch.active.size));
  }

  /** A report's outcome: a failure is logged (resync sends it again); either way the entry may go. */
  private settle(ch: LocalChannel, report: Promise<void>): void {
    report.then(
      () => this.release(ch),
      (err: unknown) => {
        if (!(err instanceof BusUnavailableError)) this.log.error({ err, app: ch.app }, 'channel count could not be reported');
        this.release(ch);
      },
    );
  }

  /** Stops listening once nobody here subscribes; forgets the channel once nothing is left to report. */
  private release(ch: LocalChannel): void {
    if (ch.subscriberCount === 0 && ch.listening) {
      ch.listening = null;
      this.bus.unlisten(ch.app, ch.name);
    }
    for (const [id, u] of ch.users) if (u.sync.value === 0 && u.sync.idle) ch.users.delete(id);
    const k = key(ch.app, ch.name);
    if (ch.idle && this.channels.get(k) === ch) this.channels.delete(k);
  }

  private onOccupancy(app: string, channel: string, c: CountChange): void {
    if (c.before === 0 && c.after > 0) this.hooks.occupied(app, channel);
    else if (c.after === 0 && c.before > 0) this.hooks.vacated(app, channel);
  }

  private sendCached(ch: LocalChannel, sub: ChannelSubscriber, cached: string | null): void {
    const m = cached === null ? null : decodeBusMessage(cached);
    if (m) {
      sub.sendText(this.encoder.encode(busMessageEvent(ch.name, m)));
      return;
    }
    sub.sendText(this.encoder.encode({ type: 'cache_miss', channel: ch.name }));
    this.hooks.cacheMiss(ch.app, ch.name);
  }
}
