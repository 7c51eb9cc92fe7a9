import { Room, type FrameTap } from './room.js';
import type { RoomOptions } from './room-options.js';

/**
 * All rooms of this node. A room lives while anyone is in it, and afterwards for `ttlMs`
 * so late visitors still find the last frame, the chat and "offline since".
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly taps: FrameTap[] = [];

  constructor(
    private readonly opts: RoomOptions,
    private readonly ttlMs: number,
  ) {}

  /** Taps see every accepted frame of rooms created after they are added: add them at boot. */
  addTap(tap: FrameTap): void {
    this.taps.push(tap);
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  getOrCreate(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.opts, this.taps);
      this.rooms.set(name, room);
    }
    return room;
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  get liveCount(): number {
    let n = 0;
    for (const r of this.rooms.values()) if (r.live) n++;
    return n;
  }

  /** Drops empty rooms idle for longer than the TTL. Returns how many were dropped. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const [name, room] of this.rooms) {
      if (room.size === 0 && now - room.lastActivity > this.ttlMs) {
        room.dispose();
        this.rooms.delete(name);
        dropped++;
      }
    }
    return dropped;
  }

  dispose(): void {
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
  }
}
