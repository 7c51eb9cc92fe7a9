import { randomBytes } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { BroadcastClaim, Broker, BrokerEvents, BusStats, ChatDraft, ChatPage } from '../../core/broker/broker.js';
import type { Log } from '../../core/log.js';
import type { ChatMessage, RoomSummary } from '../../protocol/index.js';
import { RedisChannelBus } from './redis-channel-bus.js';
import { RedisChat } from './redis-chat.js';
import { RedisClaims } from './redis-claims.js';
import { RedisConnections, redactUrl } from './redis-connections.js';
import { FrameRelay } from './redis-frame-relay.js';
import { RedisKeys } from './redis-keys.js';
import { recordFromStored, RedisRoomState } from './redis-room-state.js';
import { RoomPresence } from './room-presence.js';
import { readDemand } from './tier-demand.js';

export interface RedisBrokerOptions {
  url: string;
  prefix: string;
  /** Empty: a random id. */
  nodeId: string;
  chatHistory: number;
  /** How long a room's chat, frames and summary outlive its last activity. */
  roomTtlMs: number;
  /** Every tier a room can have ('source' included): their demand is polled. */
  tiers: readonly string[];
  log: Log;
  /** Lease of a broadcaster claim and of a node's liveness; renewed every third of it. */
  leaseMs?: number;
}

type Scripted = ChainableCommander & {
  touchChat(...args: (string | number)[]): Scripted;
  releaseClaim(...args: (string | number)[]): Scripted;
};

interface Watched {
  presence: RoomPresence;
  /** The claim held by another node, as last seen. */
  remote: BroadcastClaim | null;
  /** Tiers consumed on other nodes (tracked while this node holds the claim). */
  demand: Set<string>;
}

// A dead node's broadcasts and viewers leave the counts within a lease and a renewal period
// (8 s), well inside the 15 s the cluster promises.
const DEFAULT_LEASE_MS = 6000;
const CONNECT_WAIT_MS = 3000;
const ROOM_LIST_LIMIT = 500;

/**
 * Rooms shared between nodes through Redis: pub/sub for room events and frame notices; keys
 * for last frames, chat logs (RedisChat), broadcaster claims (RedisClaims) and viewer counts.
 * Commands fail at once while Redis is unreachable, so nothing is accepted that cannot be
 * stored; the subscriber reconnects and resubscribes by itself, and `resync` restores this
 * node's share (viewer counts, claims, channel bus shares) and its view of every watched room.
 * `channels` (RedisChannelBus) shares the connections, the node lease and the tick.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  readonly clustered = true;
  readonly driver = 'redis';
  readonly channels: RedisChannelBus;
  private readonly keys: RedisKeys;
  private readonly conns: RedisConnections;
  private readonly chat: RedisChat;
  private readonly claims: RedisClaims;
  private readonly relay: FrameRelay;
  readonly roomState: RedisRoomState;
  private readonly leaseMs: number;
  private events: BrokerEvents | null = null;
  private readonly watched = new Map<string, Watched>();
  /** room -> tiers this node consumes (subscribed frame channels). */
  private readonly consumed = new Map<string, Set<string>>();
  private readonly viewers = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: RedisBrokerOptions) {
    this.nodeId = opts.nodeId || randomBytes(4).toString('hex');
    this.keys = new RedisKeys(opts.prefix);
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.conns = new RedisConnections(opts.url, `beamcast-${this.nodeId}`, opts.log, (up) => this.onBusState(up));
    this.channels = new RedisChannelBus({ conns: this.conns, keys: this.keys, nodeId: this.nodeId, leaseMs: this.leaseMs, log: opts.log });
    this.chat = new RedisChat({ conns: this.conns, keys: this.keys, capacity: opts.chatHistory, ttlMs: opts.roomTtlMs });
    this.roomState = new RedisRoomState(this.conns, this.keys, opts.roomTtlMs);
    this.claims = new RedisClaims({
      conns: this.conns,
      keys: this.keys,
      nodeId: this.nodeId,
      leaseMs: this.leaseMs,
      fenceTtlMs: Math.max(opts.roomTtlMs, this.leaseMs * 10),
      onLost: (room, claim) => this.onClaim(room, claim ?? { node: '?', fence: 0, since: Date.now() }, true),
    });
    this.relay = new FrameRelay({
      cmd: this.conns.cmd,
      keys: this.keys,
      nodeId: this.nodeId,
      ttlMs: opts.roomTtlMs,
      subscribed: (room, tier) => this.consumed.get(room)?.has(tier) ?? false,
      deliver: (room, tier, frame) => this.events?.frame(room, tier, frame),
      onError: (err) => this.conns.noteError(err, 'frame relay'),
    });
  }

  get up(): boolean {
    return this.conns.isUp;
  }

  stats(): BusStats {
    const s = this.relay.stats;
    return { framesPublished: s.published, framesSkipped: s.skipped, framesFetched: s.fetched, bytesFetched: s.fetchedBytes };
  }

  async start(events: BrokerEvents): Promise<void> {
    this.events = events;
    this.conns.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // Waits a moment for Redis, but starts without it: the node serves its own rooms, and
    // joins the cluster when Redis answers.
    await this.conns.connect(CONNECT_WAIT_MS);
    if (!this.up) this.opts.log.warn({ url: redactUrl(this.opts.url) }, 'Redis is not reachable yet; serving local rooms until it is');
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.up) {
      // Leave cleanly: the other nodes see this node's viewers and broadcasts end at once.
      const p = this.conns.cmd.pipeline() as Scripted;
      this.claims.releaseAll(p);
      for (const room of this.viewers.keys()) {
        p.hdel(this.keys.viewers(room), this.nodeId);
        p.publish(this.keys.roomChannel(room), JSON.stringify({ t: 'v', n: this.nodeId, c: 0 }));
      }
      p.del(this.keys.node(this.nodeId));
      await p.exec().catch(() => {});
    }
    this.events = null;
    // This node's channel shares stay: with its liveness key gone, another node reaps them at
    // its next tick, and announces what they leave.
    this.channels.close();
    this.conns.disconnect();
  }

  // ---- rooms this node watches ----

  watch(room: string): Promise<void> | void {
    if (this.watched.has(room)) return;
    this.watched.set(room, { presence: new RoomPresence(this.nodeId), remote: null, demand: new Set() });
    // While the bus is down the subscription waits in the client's queue, and `resync` reads the
    // room's state when it is back.
    const subscribed = this.conns.sub.subscribe(this.keys.roomChannel(room)).catch((err: unknown) => this.conns.noteError(err, 'subscribe'));
    if (!this.up) return;
    // Subscribed first, then read: nothing that happens in between is missed.
    return subscribed.then(() => this.syncRoom(room));
  }

  unwatch(room: string): void {
    if (!this.watched.delete(room)) return;
    void this.conns.sub.unsubscribe(this.keys.roomChannel(room)).catch(() => {});
    for (const tier of this.consumed.get(room) ?? []) this.consume(room, tier, false);
  }

  // ---- frames ----

  consume(room: string, tier: string, on: boolean): void {
    let tiers = this.consumed.get(room);
    const channel = this.keys.frameChannel(room, tier);
    if (on) {
      if (tiers?.has(tier)) return;
      if (!tiers) this.consumed.set(room, (tiers = new Set()));
      tiers.add(tier);
      void this.conns.sub.subscribe(channel).catch((err: unknown) => this.conns.noteError(err, 'subscribe'));
      // The broadcasting node starts this tier now, rather than at its next demand poll.
      if (this.up) this.conns.cmd.publish(this.keys.roomChannel(room), JSON.stringify({ t: 'demand', tier, n: this.nodeId })).catch(() => {});
    } else {
      if (!tiers?.delete(tier)) return;
      if (tiers.size === 0) this.consumed.delete(room);
      void this.conns.sub.unsubscribe(channel).catch(() => {});
      this.relay.drop(room, tier);
    }
  }

  publishFrame(room: string, tier: string, frame: Uint8Array): void {
    const fence = this.claims.fence(room);
    if (!this.up || fence === null) return;
    this.relay.publish(room, tier, frame, fence);
  }

  async lastFrame(room: string, tier: string): Promise<Uint8Array | null> {
    if (!this.up) return null;
    try {
      return await this.relay.fetchLatest(room, tier);
    } catch (err) {
      this.conns.noteError(err, 'last frame');
      return null;
    }
  }

  // ---- chat ----

  postChat(room: string, draft: ChatDraft): Promise<ChatMessage> {
    return this.chat.post(room, draft);
  }

  history(room: string, since: number | null, max: number): Promise<ChatPage> {
    return this.chat.page(room, since, max);
  }

  // ---- the one broadcaster ----

  claim(room: string): void {
    this.claims.claim(room);
  }

  release(room: string): void {
    this.claims.release(room);
    this.watched.get(room)?.demand.clear();
  }

  currentClaim(room: string): Promise<BroadcastClaim | null> {
    return this.claims.current(room);
  }

  // ---- viewers ----

  reportViewers(room: string, viewers: number): void {
    if (viewers > 0) this.viewers.set(room, viewers);
    else this.viewers.delete(room);
    if (this.up) this.writeViewers(room, viewers);
  }

  private writeViewers(room: string, viewers: number): void {
    const k = this.keys;
    const p = this.conns.cmd.pipeline();
    if (viewers > 0) p.hset(k.viewers(room), this.nodeId, viewers).pexpire(k.viewers(room), this.opts.roomTtlMs);
    else p.hdel(k.viewers(room), this.nodeId);
    p.publish(k.roomChannel(room), JSON.stringify({ t: 'v', n: this.nodeId, c: viewers }));
    p.exec().catch((err: unknown) => this.conns.noteError(err, 'viewers'));
  }

  // ---- room directory ----

  publishSummary(room: string, summary: RoomSummary | null): void {
    if (!this.up) return;
    const k = this.keys;
    const p = this.conns.cmd.pipeline();
    if (summary) p.set(k.summary(room), JSON.stringify(summary), 'PX', this.opts.roomTtlMs).zadd(k.rooms(), Date.now(), room);
    else p.del(k.summary(room)).zrem(k.rooms(), room);
    p.exec().catch((err: unknown) => this.conns.noteError(err, 'summary'));
  }

  async listRooms(): Promise<RoomSummary[]> {
    if (!this.up) return [];
    const k = this.keys;
    try {
      const oldest = Date.now() - this.opts.roomTtlMs;
      await this.conns.cmd.zremrangebyscore(k.rooms(), 0, oldest);
      const names = await this.conns.cmd.zrevrangebyscore(k.rooms(), '+inf', oldest, 'LIMIT', 0, ROOM_LIST_LIMIT);
      if (names.length === 0) return [];
      const values = await this.conns.cmd.mget(names.map((n) => k.summary(n)));
      return values.flatMap((v) => (v ? [JSON.parse(v) as RoomSummary] : []));
    } catch (err) {
      this.conns.noteError(err, 'room list');
      return [];
    }
  }

  async forget(room: string): Promise<void> {
    // Shared state expires in Redis by itself (ROOM_TTL after the last activity anywhere):
    // another node may still have people in this room.
    this.unwatch(room);
    this.viewers.delete(room);
  }

  // ---- events from Redis ----

  private onMessage(channel: string, message: string): void {
    const frameOf = this.keys.parseFrameChannel(channel);
    if (frameOf) return this.onFrameNotice(frameOf.room, frameOf.tier, message);
    const room = this.keys.parseRoomChannel(channel);
    if (room === null) return;
    let m: { t?: string; [k: string]: unknown };
    try {
      m = JSON.parse(message) as typeof m;
    } catch {
      return;
    }
    const w = this.watched.get(room);
    switch (m.t) {
      case 'chat':
        if (w) this.events?.chat(room, m.m as ChatMessage, String(m.e));
        return;
      case 'state':
        if (w && typeof m.k === 'string') this.events?.roomState(room, m.k, recordFromStored(m.r));
        return;
      case 'v':
        if (w && m.n !== this.nodeId && w.presence.set(String(m.n), Number(m.c))) this.events?.remoteViewers(room, w.presence.remote);
        return;
      case 'claim':
        return this.onClaim(room, m.c as BroadcastClaim, false);
      case 'release':
        if (w?.remote && w.remote.node === m.n && w.remote.fence === m.fence) this.setRemote(room, w, null);
        return;
      case 'demand':
        if (w && this.claims.has(room) && m.n !== this.nodeId && typeof m.tier === 'string' && !w.demand.has(m.tier)) {
          w.demand.add(m.tier);
          this.events?.remoteDemand(room, new Set(w.demand));
        }
        return;
    }
  }

  /** Another node's claim: ours, if we held one, is over (the core closes our broadcaster). */
  private onClaim(room: string, claim: BroadcastClaim, lost: boolean): void {
    if (claim.node === this.nodeId) return;
    const held = this.claims.drop(room) || lost;
    const w = this.watched.get(room);
    if (w) this.setRemote(room, w, claim);
    else if (held) this.events?.remoteBroadcast(room, claim);
  }

  private setRemote(room: string, w: Watched, claim: BroadcastClaim | null): void {
    const same = w.remote?.node === claim?.node && w.remote?.fence === claim?.fence;
    w.remote = claim;
    if (!same) this.events?.remoteBroadcast(room, claim);
  }

  private onFrameNotice(room: string, tier: string, notice: string): void {
    const [node, fence] = notice.split(' ');
    if (node === this.nodeId) return;
    const remote = this.watched.get(room)?.remote;
    // Frames from a broadcaster that lost its claim (a partitioned node) are ignored.
    if (remote && (remote.node !== node || remote.fence !== Number(fence))) return;
    this.relay.notice(room, tier);
  }

  // ---- health, leases and resynchronisation ----

  private onBusState(up: boolean): void {
    if (up) {
      this.opts.log.info({ node: this.nodeId }, 'bus up');
      void this.resync();
    } else if (!this.closed) {
      this.opts.log.warn({ node: this.nodeId }, 'bus down: chat is refused and other nodes are out of reach until Redis is back');
    }
    this.events?.busState(up);
  }

  /** After (re)connecting: this node's presence, claims and view of every watched room. */
  private async resync(): Promise<void> {
    const lease = this.conns.cmd.set(this.keys.node(this.nodeId), '1', 'PX', this.leaseMs).catch(() => {});
    // At once, so that channel writes from now on wait for the channel shares to be applied.
    void this.channels.resync(lease);
    await lease;
    for (const [room, viewers] of this.viewers) this.writeViewers(room, viewers);
    this.claims.makePending();
    await this.claims.renewAll();
    await Promise.all([...this.watched.keys()].map((room) => this.syncRoom(room)));
    // Frames resume at once: each consumed tier fetches its newest frame.
    for (const [room, tiers] of this.consumed) for (const tier of tiers) this.relay.notice(room, tier);
  }

  /** Reads a watched room's claim and viewer counts, and drops nodes that are gone. */
  private async syncRoom(room: string): Promise<void> {
    const w = this.watched.get(room);
    if (!w) return;
    const { cmd } = this.conns;
    const k = this.keys;
    try {
      const [claimText, counts] = await Promise.all([cmd.get(k.claim(room)), cmd.hgetall(k.viewers(room))]);
      const others = Object.keys(counts).filter((n) => n !== this.nodeId);
      const alive = others.length ? await cmd.mget(others.map((n) => k.node(n))) : [];
      const dead = others.filter((_, i) => alive[i] === null);
      if (dead.length) await cmd.hdel(k.viewers(room), ...dead);
      if (this.watched.get(room) !== w) return;
      if (w.presence.replace(others.filter((_, i) => alive[i] !== null).map((n) => [n, Number(counts[n])]))) this.events?.remoteViewers(room, w.presence.remote);
      const claim = claimText ? (JSON.parse(claimText) as BroadcastClaim) : null;
      if (claim?.node === this.nodeId) return;
      if (claim) this.claims.drop(room);
      this.setRemote(room, w, claim);
    } catch (err) {
      this.conns.noteError(err, 'room sync');
    }
  }

  /** Tiers consumed on other nodes, for the rooms this node broadcasts. */
  private async pollDemand(): Promise<void> {
    for (const room of this.claims.rooms()) {
      const w = this.watched.get(room);
      if (!w || this.opts.tiers.length === 0) continue;
      try {
        const now = await readDemand(this.conns.cmd, this.keys, room, this.opts.tiers, this.consumed.get(room));
        if (now.size !== w.demand.size || [...now].some((t) => !w.demand.has(t))) {
          w.demand = now;
          this.events?.remoteDemand(room, new Set(now));
        }
      } catch (err) {
        this.conns.noteError(err, 'demand');
      }
    }
  }

  private async tick(): Promise<void> {
    if (!this.up) return;
    const { cmd } = this.conns;
    const k = this.keys;
    await cmd.set(k.node(this.nodeId), '1', 'PX', this.leaseMs).catch((err: unknown) => this.conns.noteError(err, 'node lease'));
    await this.claims.renewAll();
    const p = cmd.pipeline() as Scripted;
    for (const room of this.watched.keys()) {
      this.chat.touch(p, room);
      this.roomState.touch(p, room);
    }
    for (const [room, viewers] of this.viewers) p.hset(k.viewers(room), this.nodeId, viewers).pexpire(k.viewers(room), this.opts.roomTtlMs);
    await p.exec().catch(() => {});
    await Promise.all([...this.watched.keys()].map((room) => this.syncRoom(room)));
    await this.pollDemand();
    await this.channels.tick();
  }
}
