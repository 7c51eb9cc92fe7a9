import { randomBytes } from 'node:crypto';
import { Redis, type ChainableCommander } from 'ioredis';
import { BusUnavailableError, type BroadcastClaim, type Broker, type BrokerEvents, type ChatDraft, type ChatPage } from '../../core/broker/broker.js';
import type { Log } from '../../core/log.js';
import type { ChatMessage, RoomSummary } from '../../protocol/index.js';
import { newEpoch } from '../local/file-chat-store.js';
import { FrameRelay } from './redis-frame-relay.js';
import { RedisKeys } from './redis-keys.js';
import { CLAIM, POST_CHAT, READ_CHAT, RELEASE, RENEW, TOUCH_CHAT } from './redis-scripts.js';
import { RoomPresence } from './room-presence.js';

export interface RedisBrokerOptions {
  url: string;
  prefix: string;
  /** Empty: a random id. */
  nodeId: string;
  chatHistory: number;
  /** How long a room's chat, frames and summary outlive its last activity. */
  roomTtlMs: number;
  log: Log;
  /** Every tier a room can have ('source' included): their demand is polled. */
  tiers: readonly string[];
  /** Lease of a broadcaster claim and of a node's liveness; renewed every third of it. */
  leaseMs?: number;
}

type Scripted = Redis & {
  postChat(...args: (string | number)[]): Promise<[number, string]>;
  readChat(...args: (string | number)[]): Promise<[string, number, string[], number]>;
  touchChat(...args: (string | number)[]): Promise<number>;
  claimRoom(...args: (string | number)[]): Promise<[number, string]>;
  renewClaim(...args: (string | number)[]): Promise<number>;
  releaseClaim(...args: (string | number)[]): Promise<number>;
};

type ScriptedPipeline = ChainableCommander & {
  touchChat(...args: (string | number)[]): ScriptedPipeline;
  releaseClaim(...args: (string | number)[]): ScriptedPipeline;
};

interface HeldClaim {
  fence: number;
  /** The claim as stored: renewals and release compare it exactly. */
  value: string;
  /** Claimed while the bus was down: made when it returns. */
  pending: boolean;
}

interface Watched {
  presence: RoomPresence;
  /** The claim held by another node, as last seen. */
  remote: BroadcastClaim | null;
  /** Tiers consumed on other nodes (tracked while this node holds the claim). */
  demand: Set<string>;
}

const DEFAULT_LEASE_MS = 10_000;
const CONNECT_WAIT_MS = 3000;
const COMMAND_TIMEOUT_MS = 2000;
const ROOM_LIST_LIMIT = 500;

/**
 * Rooms shared between nodes through Redis: pub/sub for events and frame notices, keys for the
 * last frames, chat logs, broadcaster claims and viewer counts. Commands fail at once while
 * Redis is unreachable (no offline queue), so nothing is accepted that cannot be stored; the
 * subscriber reconnects and resubscribes by itself, and `resync` restores this node's state.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  readonly clustered = true;
  private readonly keys: RedisKeys;
  private readonly cmd: Scripted;
  private readonly sub: Redis;
  private readonly relay: FrameRelay;
  private readonly leaseMs: number;
  private events: BrokerEvents | null = null;
  private readonly watched = new Map<string, Watched>();
  /** room -> tiers this node consumes (subscribed frame channels). */
  private readonly consumed = new Map<string, Set<string>>();
  private readonly held = new Map<string, HeldClaim>();
  private readonly viewers = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private isUp = false;
  private closed = false;
  private lastErrorLogAt = 0;

  constructor(private readonly opts: RedisBrokerOptions) {
    this.nodeId = opts.nodeId || `${randomBytes(4).toString('hex')}`;
    this.keys = new RedisKeys(opts.prefix);
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    const common = {
      lazyConnect: true,
      // Reconnect quickly and keep trying: a node must find Redis again by itself.
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      connectTimeout: 2000,
    };
    // No offline queue and no retries: while Redis is away a command fails at once, and the
    // caller refuses (chat) or skips (frames) instead of holding work that may never be done.
    this.cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: `beamcast-${this.nodeId}` }) as Scripted;
    this.sub = new Redis(opts.url, { ...common, autoResubscribe: true, maxRetriesPerRequest: null, connectionName: `beamcast-${this.nodeId}-sub` });
    this.cmd.defineCommand('postChat', { numberOfKeys: 4, lua: POST_CHAT });
    this.cmd.defineCommand('readChat', { numberOfKeys: 3, lua: READ_CHAT });
    this.cmd.defineCommand('touchChat', { numberOfKeys: 3, lua: TOUCH_CHAT });
    this.cmd.defineCommand('claimRoom', { numberOfKeys: 3, lua: CLAIM });
    this.cmd.defineCommand('renewClaim', { numberOfKeys: 3, lua: RENEW });
    this.cmd.defineCommand('releaseClaim', { numberOfKeys: 2, lua: RELEASE });
    this.relay = new FrameRelay({
      cmd: this.cmd,
      keys: this.keys,
      nodeId: this.nodeId,
      ttlMs: opts.roomTtlMs,
      subscribed: (room, tier) => this.consumed.get(room)?.has(tier) ?? false,
      deliver: (room, tier, frame) => this.events?.frame(room, tier, frame),
      onError: (err) => this.noteError(err, 'frame relay'),
    });
  }

  get up(): boolean {
    return this.isUp;
  }

  get frameStats() {
    return this.relay.stats;
  }

  async start(events: BrokerEvents): Promise<void> {
    this.events = events;
    for (const conn of [this.cmd, this.sub]) {
      conn.on('ready', () => this.checkUp());
      conn.on('close', () => this.checkUp());
      conn.on('error', (err: unknown) => this.noteError(err, 'connection'));
    }
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // Waits a moment for Redis, but starts without it: the node serves its own rooms, and
    // joins the cluster when Redis answers.
    const ready = Promise.all([this.cmd.connect(), this.sub.connect()]).catch(() => {});
    await Promise.race([ready, new Promise((r) => setTimeout(r, CONNECT_WAIT_MS).unref())]);
    this.checkUp();
    if (!this.isUp) this.opts.log.warn({ url: redactUrl(this.opts.url) }, 'Redis is not reachable yet; serving local rooms until it is');
    this.timer = setInterval(() => void this.tick(), Math.max(200, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.isUp) {
      // Leave cleanly: the other nodes see this node's viewers and broadcasts end at once.
      const p = this.cmd.pipeline() as ScriptedPipeline;
      for (const [room, claim] of this.held) if (!claim.pending) p.releaseClaim(this.keys.claim(room), this.keys.roomChannel(room), claim.value, this.nodeId, claim.fence);
      for (const room of this.viewers.keys()) {
        p.hdel(this.keys.viewers(room), this.nodeId);
        p.publish(this.keys.roomChannel(room), JSON.stringify({ t: 'v', n: this.nodeId, c: 0 }));
      }
      p.del(this.keys.node(this.nodeId));
      await p.exec().catch(() => {});
    }
    this.events = null;
    this.sub.disconnect();
    this.cmd.disconnect();
  }

  // ---- rooms this node watches ----

  watch(room: string): void {
    if (this.watched.has(room)) return;
    this.watched.set(room, { presence: new RoomPresence(this.nodeId), remote: null, demand: new Set() });
    void this.sub.subscribe(this.keys.roomChannel(room)).catch((err: unknown) => this.noteError(err, 'subscribe'));
    if (this.isUp) void this.syncRoom(room);
  }

  unwatch(room: string): void {
    if (!this.watched.delete(room)) return;
    void this.sub.unsubscribe(this.keys.roomChannel(room)).catch(() => {});
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
      void this.sub.subscribe(channel).catch((err: unknown) => this.noteError(err, 'subscribe'));
      // The broadcaster's node starts encoding this tier now, rather than at its next demand poll.
      if (this.isUp) this.cmd.publish(this.keys.roomChannel(room), JSON.stringify({ t: 'demand', tier, n: this.nodeId })).catch(() => {});
    } else {
      if (!tiers?.delete(tier)) return;
      if (tiers.size === 0) this.consumed.delete(room);
      void this.sub.unsubscribe(channel).catch(() => {});
      this.relay.drop(room, tier);
    }
  }

  publishFrame(room: string, tier: string, frame: Uint8Array): void {
    const claim = this.held.get(room);
    if (!this.isUp || !claim || claim.pending) return;
    this.relay.publish(room, tier, frame, claim.fence);
  }

  async lastFrame(room: string, tier: string): Promise<Uint8Array | null> {
    if (!this.isUp) return null;
    try {
      return await this.relay.fetchLatest(room, tier);
    } catch (err) {
      this.noteError(err, 'last frame');
      return null;
    }
  }

  // ---- chat ----

  async postChat(room: string, draft: ChatDraft): Promise<ChatMessage> {
    if (!this.isUp) throw new BusUnavailableError('the bus is down: chat cannot be stored');
    // The id is spliced in by the script: the message is serialised once, here.
    const ordered: ChatMessage = { type: 'chat', id: 0, at: draft.at, from: draft.from, text: draft.text };
    if (draft.ref !== undefined) ordered.ref = draft.ref;
    const json = JSON.stringify(ordered);
    const [head, tail] = splitAtId(json);
    const k = this.keys;
    let res: [number, string];
    try {
      res = await this.cmd.postChat(k.chatId(room), k.chat(room), k.epoch(room), k.roomChannel(room), head, tail, this.opts.chatHistory, this.opts.roomTtlMs, newEpoch());
    } catch (err) {
      this.noteError(err, 'post chat');
      throw new BusUnavailableError('chat could not be stored');
    }
    return { ...ordered, id: Number(res[0]) };
  }

  async history(room: string, since: number | null, max: number): Promise<ChatPage> {
    if (!this.isUp) throw new BusUnavailableError('the bus is down: history cannot be read');
    const k = this.keys;
    let res: [string, number, string[], number];
    try {
      res = await this.cmd.readChat(k.chatId(room), k.chat(room), k.epoch(room), since ?? -1, max, newEpoch(), this.opts.roomTtlMs);
    } catch (err) {
      this.noteError(err, 'read chat');
      throw new BusUnavailableError('history could not be read');
    }
    const [epoch, latestId, items, truncated] = res;
    return { epoch, latestId: Number(latestId), messages: items.map((s) => JSON.parse(s) as ChatMessage), truncated: truncated === 1 };
  }

  // ---- the one broadcaster ----

  claim(room: string): void {
    const held: HeldClaim = { fence: 0, value: '', pending: true };
    this.held.set(room, held);
    if (this.isUp) void this.makeClaim(room, held);
  }

  private async makeClaim(room: string, held: HeldClaim): Promise<void> {
    const k = this.keys;
    try {
      const [fence, value] = await this.cmd.claimRoom(k.claim(room), k.fence(room), k.roomChannel(room), this.nodeId, Date.now(), this.leaseMs, this.fenceTtl());
      // Released or claimed again meanwhile: the newer intent stands.
      if (this.held.get(room) !== held) return;
      held.fence = Number(fence);
      held.value = value;
      held.pending = false;
    } catch (err) {
      this.noteError(err, 'claim');
    }
  }

  release(room: string): void {
    const held = this.held.get(room);
    if (!held) return;
    this.held.delete(room);
    const w = this.watched.get(room);
    if (w) w.demand.clear();
    if (!held.pending && this.isUp) {
      this.cmd.releaseClaim(this.keys.claim(room), this.keys.roomChannel(room), held.value, this.nodeId, held.fence).catch(() => {});
    }
  }

  async currentClaim(room: string): Promise<BroadcastClaim | null> {
    if (!this.isUp) return null;
    const v = await this.cmd.get(this.keys.claim(room)).catch(() => null);
    return parseClaim(v);
  }

  // ---- viewers ----

  reportViewers(room: string, viewers: number): void {
    if (viewers > 0) this.viewers.set(room, viewers);
    else this.viewers.delete(room);
    if (this.isUp) this.writeViewers(room, viewers);
  }

  private writeViewers(room: string, viewers: number): void {
    const k = this.keys;
    const p = this.cmd.pipeline();
    if (viewers > 0) p.hset(k.viewers(room), this.nodeId, viewers).pexpire(k.viewers(room), this.opts.roomTtlMs);
    else p.hdel(k.viewers(room), this.nodeId);
    p.publish(k.roomChannel(room), JSON.stringify({ t: 'v', n: this.nodeId, c: viewers }));
    p.exec().catch((err: unknown) => this.noteError(err, 'viewers'));
  }

  // ---- room directory ----

  publishSummary(room: string, summary: RoomSummary | null): void {
    if (!this.isUp) return;
    const k = this.keys;
    const p = this.cmd.pipeline();
    if (summary) p.set(k.summary(room), JSON.stringify(summary), 'PX', this.opts.roomTtlMs).zadd(k.rooms(), Date.now(), room);
    else p.del(k.summary(room)).zrem(k.rooms(), room);
    p.exec().catch((err: unknown) => this.noteError(err, 'summary'));
  }

  async listRooms(): Promise<RoomSummary[]> {
    if (!this.isUp) return [];
    const k = this.keys;
    try {
      const now = Date.now();
      await this.cmd.zremrangebyscore(k.rooms(), 0, now - this.opts.roomTtlMs);
      const names = await this.cmd.zrevrangebyscore(k.rooms(), '+inf', now - this.opts.roomTtlMs, 'LIMIT', 0, ROOM_LIST_LIMIT);
      if (names.length === 0) return [];
      const values = await this.cmd.mget(names.map((n) => k.summary(n)));
      return values.flatMap((v) => (v ? [JSON.parse(v) as RoomSummary] : []));
    } catch (err) {
      this.noteError(err, 'room list');
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
      case 'v':
        if (w && m.n !== this.nodeId && w.presence.set(String(m.n), Number(m.c))) this.events?.remoteViewers(room, w.presence.remote);
        return;
      case 'claim':
        return this.onClaim(room, m.c as BroadcastClaim);
      case 'release':
        if (w?.remote && w.remote.node === m.n && w.remote.fence === m.fence) this.setRemote(room, w, null);
        return;
      case 'demand':
        if (w && this.held.has(room) && m.n !== this.nodeId && typeof m.tier === 'string' && !w.demand.has(m.tier)) {
          w.demand.add(m.tier);
          this.events?.remoteDemand(room, new Set(w.demand));
        }
        return;
    }
  }

  private onClaim(room: string, claim: BroadcastClaim): void {
    if (claim.node === this.nodeId) return;
    const held = this.held.get(room);
    // A newer claim from another node: ours is over. The core closes our broadcaster.
    if (held) this.held.delete(room);
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
    const [node, fenceText] = notice.split(' ');
    if (node === this.nodeId) return;
    const remote = this.watched.get(room)?.remote;
    // Frames from a broadcaster that lost its claim (a partitioned node) are ignored.
    if (remote && (remote.node !== node || remote.fence !== Number(fenceText))) return;
    this.relay.notice(room, tier);
  }

  // ---- health, leases and resynchronisation ----

  private checkUp(): void {
    const up = !this.closed && this.cmd.status === 'ready' && this.sub.status === 'ready';
    if (up === this.isUp) return;
    this.isUp = up;
    if (up) {
      this.opts.log.info({ node: this.nodeId }, 'bus up');
      void this.resync();
    } else {
      this.opts.log.warn({ node: this.nodeId }, 'bus down: chat is refused and other nodes are out of reach until Redis is back');
    }
    this.events?.busState(up);
  }

  /** After (re)connecting: this node's presence, claims and view of every watched room. */
  private async resync(): Promise<void> {
    await this.cmd.set(this.keys.node(this.nodeId), '1', 'PX', this.leaseMs).catch(() => {});
    for (const [room, viewers] of this.viewers) this.writeViewers(room, viewers);
    for (const [room, held] of this.held) {
      if (held.pending) void this.makeClaim(room, held);
    }
    await this.renewClaims();
    await Promise.all([...this.watched.keys()].map((room) => this.syncRoom(room)));
    // Frames resume at once: each consumed tier gets its newest frame.
    for (const [room, tiers] of this.consumed) for (const tier of tiers) this.relay.notice(room, tier);
  }

  /** Reads a watched room's claim and viewer counts, and drops nodes that are gone. */
  private async syncRoom(room: string): Promise<void> {
    const w = this.watched.get(room);
    if (!w) return;
    const k = this.keys;
    try {
      const [claimText, counts] = await Promise.all([this.cmd.get(k.claim(room)), this.cmd.hgetall(k.viewers(room))]);
      const others = Object.keys(counts).filter((n) => n !== this.nodeId);
      const alive = others.length ? await this.cmd.mget(others.map((n) => k.node(n))) : [];
      const dead = others.filter((_, i) => alive[i] === null);
      if (dead.length) await this.cmd.hdel(k.viewers(room), ...dead);
      if (this.watched.get(room) !== w) return;
      if (w.presence.replace(others.filter((_, i) => alive[i] !== null).map((n) => [n, Number(counts[n])]))) this.events?.remoteViewers(room, w.presence.remote);
      const claim = parseClaim(claimText);
      if (claim?.node === this.nodeId) return;
      if (claim && this.held.has(room)) {
        this.held.delete(room);
      }
      this.setRemote(room, w, claim);
    } catch (err) {
      this.noteError(err, 'room sync');
    }
  }

  private async renewClaims(): Promise<void> {
    const k = this.keys;
    await Promise.all(
      [...this.held].map(async ([room, held]) => {
        if (held.pending) return;
        try {
          const r = await this.cmd.renewClaim(k.claim(room), k.fence(room), k.roomChannel(room), held.value, this.leaseMs, held.fence, this.fenceTtl());
          if (r === 0 && this.held.get(room) === held) {
            this.held.delete(room);
            const claim = await this.currentClaim(room);
            this.events?.remoteBroadcast(room, claim ?? { node: '?', fence: held.fence + 1, since: Date.now() });
          }
        } catch (err) {
          this.noteError(err, 'renew claim');
        }
      }),
    );
  }

  /** Tiers consumed on other nodes, for the rooms this node broadcasts. */
  private async pollDemand(): Promise<void> {
    for (const room of this.held.keys()) {
      const w = this.watched.get(room);
      if (!w) continue;
      const uniq = this.opts.tiers;
      if (uniq.length === 0) continue;
      try {
        const res = (await this.cmd.call('PUBSUB', 'NUMSUB', ...uniq.map((t) => this.keys.frameChannel(room, t)))) as (string | number)[];
        const mine = this.consumed.get(room);
        const now = new Set<string>();
        for (let i = 0; i < uniq.length; i++) {
          const subs = Number(res[i * 2 + 1]) - (mine?.has(uniq[i]!) ? 1 : 0);
          if (subs > 0) now.add(uniq[i]!);
        }
        if (now.size !== w.demand.size || [...now].some((t) => !w.demand.has(t))) {
          w.demand = now;
          this.events?.remoteDemand(room, new Set(now));
        }
      } catch (err) {
        this.noteError(err, 'demand');
      }
    }
  }

  private async tick(): Promise<void> {
    if (!this.isUp) return;
    const k = this.keys;
    await this.cmd.set(k.node(this.nodeId), '1', 'PX', this.leaseMs).catch((err: unknown) => this.noteError(err, 'node lease'));
    await this.renewClaims();
    const p = this.cmd.pipeline() as ScriptedPipeline;
    for (const room of this.watched.keys()) p.touchChat(k.chatId(room), k.chat(room), k.epoch(room), this.opts.roomTtlMs);
    for (const [room, viewers] of this.viewers) p.hset(k.viewers(room), this.nodeId, viewers).pexpire(k.viewers(room), this.opts.roomTtlMs);
    await p.exec().catch(() => {});
    await Promise.all([...this.watched.keys()].map((room) => this.syncRoom(room)));
    await this.pollDemand();
  }

  private fenceTtl(): number {
    return Math.max(this.opts.roomTtlMs, this.leaseMs * 10);
  }

  private noteError(err: unknown, what: string): void {
    // One line per few seconds: an outage fails every command.
    const now = Date.now();
    if (now - this.lastErrorLogAt < 5000) return;
    this.lastErrorLogAt = now;
    this.opts.log.warn({ err: err instanceof Error ? err.message : String(err), what }, 'bus error');
  }
}

function parseClaim(v: string | null): BroadcastClaim | null {
  if (!v) return null;
  try {
    const c = JSON.parse(v) as BroadcastClaim;
    return typeof c.node === 'string' && Number.isSafeInteger(c.fence) ? c : null;
  } catch {
    return null;
  }
}

/** `{"type":"chat","id":0,...}` -> the text before and after the 0. */
function splitAtId(json: string): [string, string] {
  const marker = '"id":0';
  const i = json.indexOf(marker);
  return [json.slice(0, i + 5), json.slice(i + 6)];
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}
