import { Gauge, type Registry } from 'prom-client';
import type { RoomRegistry } from '../core/room-registry.js';

/**
 * Opt-in per-room series: the `limit` rooms with the most viewers (live ones first), labelled
 * by room name. Room names are user input, so they become labels only when the operator sets
 * METRICS_ROOM_LABELS, and never more than that many per scrape; a room that drops out of the
 * top simply stops being reported.
 */
export function registerBusiestRooms(registry: Registry, rooms: RoomRegistry, limit: number): void {
  if (limit <= 0) return;
  // Listed rooms only: names nobody has been live in are anyone's invention, and private rooms are nobody's business.
  const top = () =>
    rooms
      .listListed()
      .sort((a, b) => Number(b.live) - Number(a.live) || b.viewers - a.viewers || a.name.localeCompare(b.name))
      .slice(0, limit);
  new Gauge({
    name: 'beamcast_room_viewers',
    help: `Viewers of the ${limit} busiest rooms (METRICS_ROOM_LABELS).`,
    labelNames: ['room'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of top()) this.set({ room: r.name }, r.viewers);
    },
  });
  new Gauge({
    name: 'beamcast_room_fps',
    help: `Frames per second received by the ${limit} busiest rooms (METRICS_ROOM_LABELS).`,
    labelNames: ['room'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const r of top()) this.set({ room: r.name }, r.summary(now).fps);
    },
  });
}
