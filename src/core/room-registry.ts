import { Room, type FrameTap, type RoomEvents } from './room.js';
import type { RoomOptions } from './room-options.js';

/**
 * All rooms of this node. A room becomes public when a broadcaster first goes live in it; a
 * public room lives while anyone is in it, and afterwards for `ttlMs` so late visitors still find
 * the last frame, the chat and "offline since".
 *
 * Before that, a room is "waiting": viewers may wait in it for the broadcast, but anyone can make
 * one up, so waiting rooms are never listed, are dropped the moment their last viewer leaves, and
 * at most `maxWaiting` of them exist at once.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly taps: FrameTap[] = [];
  private waiting = 0;
  private readonly events: RoomEvents = {
    wentPublic: (room) => {
      if (this.rooms.get(room.name) === room) this.waiting--;
    },
    emptied: (room) => {
      if (!room.public && this.rooms.get(room.name) === room) this.drop(room);
    },
  };

  constructor(
    private readonly opts: RoomOptions,
    private readonly ttlMs: number,
    private readonly maxWaiting = Number.MAX_SAFE_INTEGER,
  ) {}

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

  /** Whether a viewer may be placed in `name` now: it exists, or another waiting room fits. */
  canHost(name: string): boolean {
    return this.rooms.has(name) || this.waiting < this.maxWaiting;
  }

  /** The room, made (waiting) if needed. Admission checks `canHost` for viewers first. */
  getOrCreate(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.opts, this.taps, this.events);
      this.rooms.set(name, room);
      this.waiting++;
    }
    return room;
  }

  /** Every room, waiting ones included: for gauges, never for anything shown to clients. */
  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** Rooms a broadcaster has been live in: what /api/rooms and the home page show. */
  listPublic(): Room[] {
    const out: Room[] = [];
    for (const r of this.rooms.values()) if (r.public) out.push(r);
    return out;
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
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
    this.waiting = 0;
  }

  private drop(room: Room): void {
    this.rooms.delete(room.name);
    if (!room.public) this.waiting--;
    room.dispose();
  }
}
