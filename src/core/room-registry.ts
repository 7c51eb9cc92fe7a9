import { settingsFrom, type ChatMessage, type RoomSettings, type RoomSummary } from '../protocol/index.js';
import type { BroadcastClaim, Broker, BrokerEvents } from './broker/broker.js';
import { liveRecord, type RoomRecord } from './broker/room-state.js';
import { Room, type FrameTap, type RoomEvents } from './room.js';
import type { RoomOptions } from './room-options.js';
import { SETTINGS_KEY } from './room-settings-holder.js';

// How often the node broadcasting a room refreshes its summary in the cluster's directory.
const SUMMARY_INTERVAL_MS = 2000;

/**
 * All rooms of this node, and the broker's listener: events from the other nodes reach the room
 * they concern. A room becomes public when a broadcaster first goes live in it (here or on
 * another node); a public room lives while anyone is in it, and afterwards for `ttlMs` so late
 * visitors still find the last frame, the chat and "offline since".
 *
 * Before that, a room is "waiting": viewers may wait in it for the broadcast, but anyone can make
 * one up, so waiting rooms are never listed, are dropped the moment their last viewer leaves, and
 * at most `maxWaiting` of them exist at once.
 */
export class RoomRegistry implements BrokerEvents {
  private readonly rooms = new Map<string, Room>();
  private readonly taps: FrameTap[] = [];
  private waiting = 0;
  private summaryTimer: NodeJS.Timeout | null = null;
  private readonly busListeners: ((up: boolean) => void)[] = [];
  private readonly events: RoomEvents = {
    wentPublic: (room) => {
      if (this.rooms.get(room.name) === room) this.waiting--;
    },
    emptied: (room) => {
      if (!room.public && this.rooms.get(room.name) === room) this.drop(room);
    },
    liveChanged: (room) => this.publishSummary(room),
  };

  constructor(
    private readonly opts: RoomOptions,
    readonly broker: Broker,
    private readonly ttlMs: number,
    private readonly maxWaiting = Number.MAX_SAFE_INTEGER,
  ) {
    if (broker.clustered) {
      this.summaryTimer = setInterval(() => {
        for (const room of this.rooms.values()) if (room.broadcaster) this.publishSummary(room);
      }, SUMMARY_INTERVAL_MS);
      this.summaryTimer.unref();
    }
  }

  /** Taps see every accepted frame of rooms created after they are added: add them at boot. */
  addTap(tap: FrameTap): void {
    this.taps.push(tap);
  }

  /** Any room, waiting or public: for transports placing a connection. */
  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  /** A room as the public sees it: only once a broadcaster has been live in it. */
  getPublic(name: string): Room | undefined {
    const room = this.rooms.get(name);
    return room?.public ? room : undefined;
  }

  /**
   * A public room, also one whose broadcaster is on another node and that this node does not
   * hold yet (it starts holding it: the caller becomes one of its viewers).
   */
  async findPublic(name: string): Promise<Room | undefined> {
    const here = this.getPublic(name);
    if (here || !this.broker.clustered) return here;
    const claim = await this.broker.currentClaim(name);
    if (!claim) return this.getPublic(name);
    const room = this.getOrCreate(name);
    if (!room.live) room.remoteBroadcast(claim);
    return room;
  }

  /** Whether a viewer may be placed in `name` now: it exists, or another waiting room fits. */
  canHost(name: string): boolean {
    return this.rooms.has(name) || this.waiting < this.maxWaiting;
  }

  /** The room, made (waiting) if needed. Admission checks `canHost` for viewers first. */
  getOrCreate(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.opts, this.broker, this.taps, this.events);
      this.rooms.set(name, room);
      this.waiting++;
    }
    return room;
  }

  /** Every room, waiting ones included: for gauges, never for anything shown to clients. */
  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** Rooms a broadcaster has been live in, here: what the gauges count. */
  listPublic(): Room[] {
    const out: Room[] = [];
    for (const r of this.rooms.values()) if (r.public) out.push(r);
    return out;
  }

  /** Public rooms here that are not private: the only ones shown by name (lists, metrics labels). */
  listListed(): Room[] {
    const out: Room[] = [];
    for (const r of this.rooms.values()) if (r.listed) out.push(r);
    return out;
  }

  /** Listed rooms of the whole cluster: what /api/rooms and the home page show. */
  async summaries(now = Date.now()): Promise<RoomSummary[]> {
    const byName = new Map<string, RoomSummary>();
    for (const s of await this.broker.listRooms()) {
      // The directory may lag a room made private a moment ago; this node knows better.
      const here = this.rooms.get(s.name);
      if (!here || here.listed) byName.set(s.name, s);
    }
    for (const room of this.listListed()) {
      const remote = byName.get(room.name);
      const mine = room.summary(now);
      // The broadcasting node knows the picture (size, fps); every node knows the viewer count.
      byName.set(room.name, remote && !room.broadcaster && room.live ? { ...remote, viewers: mine.viewers } : mine);
    }
    return [...byName.values()];
  }

  get waitingCount(): number {
    return this.waiting;
  }

  get liveCount(): number {
    let n = 0;
    for (const r of this.rooms.values()) if (r.live) n++;
    return n;
  }

  /** Drops empty rooms idle for longer than the TTL, and any empty waiting room. Returns how many. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const room of [...this.rooms.values()]) {
      if (room.size === 0 && (!room.public || now - room.lastActivity > this.ttlMs)) {
        this.drop(room);
        dropped++;
      }
    }
    return dropped;
  }

  dispose(): void {
    if (this.summaryTimer) clearInterval(this.summaryTimer);
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
    this.waiting = 0;
  }

  // ---- from the broker ----

  chat(room: string, msg: ChatMessage, epoch: string): void {
    this.rooms.get(room)?.chat.onAnnounced(msg, epoch);
  }

  frame(room: string, tier: string, frame: Uint8Array): void {
    this.rooms.get(room)?.remoteFrame(tier, frame, Date.now());
  }

  remoteBroadcast(room: string, claim: BroadcastClaim | null): void {
    this.rooms.get(room)?.remoteBroadcast(claim);
  }

  remoteViewers(room: string, viewers: number): void {
    this.rooms.get(room)?.setRemoteViewers(viewers);
  }

  remoteDemand(room: string, tiers: ReadonlySet<string>): void {
    this.rooms.get(room)?.setRemoteDemand(tiers);
  }

  busState(up: boolean): void {
    for (const listener of this.busListeners) listener(up);
    if (!up) return;
    for (const room of this.rooms.values()) {
      room.chat.resync();
      void room.reloadSettings().then(() => this.publishSummary(room));
    }
  }

  roomState(room: string, key: string, record: RoomRecord | null): void {
    if (key === SETTINGS_KEY) this.applySettings(room, settingsFrom(liveRecord(record)?.value));
  }

  /**
   * New settings of a room held here (announced by the store, or changed through this node,
   * which applies them at once rather than when its own announcement comes back).
   */
  applySettings(name: string, settings: RoomSettings): void {
    const room = this.rooms.get(name);
    if (!room) return;
    room.applySettings(settings);
    this.publishSummary(room);
  }

  /** Others that share the bus (the channel hub) hear about outages and recoveries too. */
  onBusState(listener: (up: boolean) => void): void {
    this.busListeners.push(listener);
  }

  private publishSummary(room: Room): void {
    if (!this.broker.clustered) return;
    // A private room is withdrawn from the cluster's directory at once.
    if (room.broadcaster || !room.live) this.broker.publishSummary(room.name, room.listed ? room.summary() : null);
  }

  private drop(room: Room): void {
    this.rooms.delete(room.name);
    if (!room.public) this.waiting--;
    room.dispose();
    void this.broker.forget(room.name);
    // Settings outlive a waiting room (a broadcaster may make a room private before going live);
    // a public room's go when it expires, with its chat.
    if (room.public) void this.broker.roomState.forget(room.name).catch(() => {});
  }
}
