import { Gauge, type Registry } from 'prom-client';
import type { RoomRegistry } from '../core/room-registry.js';

/**
 * Who encodes each watched tier of the rooms broadcast from this node, computed from the rooms
 * when scraped: `edge` (the broadcaster sends the tier) or `server` (recompressed here).
 */
export function registerTierGauges(registry: Registry, rooms: RoomRegistry, qualities: readonly string[]): void {
  const tiers = qualities.filter((q) => q !== 'source');
  new Gauge({
    name: 'beamcast_tiers',
    help: 'Watched tiers of rooms broadcast from this node, by who encodes them: the broadcaster (edge) or this server.',
    labelNames: ['quality', 'origin'],
    registers: [registry],
    collect() {
      const counts = new Map<string, { edge: number; server: number }>(tiers.map((t) => [t, { edge: 0, server: 0 }]));
      for (const room of rooms.list()) {
        if (!room.broadcaster) continue;
        for (const [tier, c] of counts) {
          const origin = room.tierOrigin(tier);
          if (origin) c[origin]++;
        }
      }
      for (const [tier, c] of counts) {
        this.set({ quality: tier, origin: 'edge' }, c.edge);
        this.set({ quality: tier, origin: 'server' }, c.server);
      }
    },
  });
}
