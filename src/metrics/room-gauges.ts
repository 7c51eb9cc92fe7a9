import { Gauge, type Registry } from 'prom-client';
import type { RoomRegistry } from '../core/room-registry.js';

interface RoomStats {
  /** Public rooms: a broadcaster has been live in them. */
  rooms: number;
  live: number;
  viewers: number;
}

function roomStats(rooms: RoomRegistry): RoomStats {
  const s: RoomStats = { rooms: 0, live: 0, viewers: 0 };
  for (const room of rooms.list()) {
    if (room.public) s.rooms++;
    if (room.live) s.live++;
    s.viewers += room.viewers;
  }
  return s;
}

/**
 * State gauges, computed from the rooms when scraped (never incremented on hot paths, so they
 * cannot drift). Each collect walks the rooms once: O(rooms) per scrape, nothing per event.
 */
export function registerRoomGauges(registry: Registry, rooms: RoomRegistry): void {
  new Gauge({
    name: 'beamcast_connections',
    help: 'WebSocket connections in rooms, by role.',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const s = roomStats(rooms);
      this.set({ role: 'viewer' }, s.viewers);
      this.set({ role: 'broadcaster' }, s.live);
    },
  });
  new Gauge({
    name: 'beamcast_rooms',
    help: 'Rooms a broadcaster has been live in, kept in memory: live, or emptied less than ROOM_TTL ago.',
    registers: [registry],
    collect() {
      this.set(roomStats(rooms).rooms);
    },
  });
  new Gauge({
    name: 'beamcast_rooms_waiting',
    help: 'Rooms viewers wait in that nobody has been live in yet (at most MAX_WAITING_ROOMS).',
    registers: [registry],
    collect() {
      this.set(rooms.waitingCount);
    },
  });
  new Gauge({
    name: 'beamcast_rooms_live',
    help: 'Rooms with a broadcaster connected.',
    registers: [registry],
    collect() {
      this.set(roomStats(rooms).live);
    },
  });
}
