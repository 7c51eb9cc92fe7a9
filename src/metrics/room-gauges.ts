import { Gauge, type Registry } from 'prom-client';
import type { RoomRegistry } from '../core/room-registry.js';

interface RoomStats {
  /** Public rooms: a broadcaster has been live in them. */
  rooms: number;
  /** Rooms whose broadcaster is connected to this node. */
  live: number;
  /** Viewers connected to this node. */
  viewers: number;
}

// Connections are counted where they are connected, never where they are merely known: a room
// knows the viewers and broadcaster of the whole cluster, so counting those would count every
// connection once per node that holds the room. Counted here, the sum over nodes is the cluster.
function roomStats(rooms: RoomRegistry): RoomStats {
  const s: RoomStats = { rooms: 0, live: 0, viewers: 0 };
  for (const room of rooms.list()) {
    if (room.public) s.rooms++;
    if (room.broadcaster) s.live++;
    s.viewers += room.viewersHere;
  }
  return s;
}

/**
 * State gauges of this node, computed from the rooms when scraped (never incremented on hot
 * paths, so they cannot drift). Each collect walks the rooms once: O(rooms) per scrape.
 */
export function registerRoomGauges(registry: Registry, rooms: RoomRegistry): void {
  new Gauge({
    name: 'beamcast_connections',
    help: 'Connections in rooms on this node, by role (viewers include MJPEG responses); summed over nodes: the cluster.',
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
    help: 'Rooms a broadcaster has been live in, kept in memory on this node: live, or emptied less than ROOM_TTL ago.',
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
    help: 'Rooms whose broadcaster is connected to this node; summed over nodes: the live rooms of the cluster.',
    registers: [registry],
    collect() {
      this.set(roomStats(rooms).live);
    },
  });
}
