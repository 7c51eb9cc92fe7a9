import { Counter, Gauge, type Registry } from 'prom-client';
import type { Broker, BusStats } from '../core/broker/broker.js';

/** A counter read from a running total when scraped. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/**
 * The bus between nodes: whether this node reaches it (so a dashboard shows an outage per node),
 * which node this is, and what crossed it. Read when scraped, nothing on the frame path.
 */
export function registerBusMetrics(registry: Registry, broker: Broker): void {
  new Gauge({
    name: 'beamcast_bus_up',
    help: 'Whether this node reaches the bus between nodes (always 1 without REDIS_URL).',
    registers: [registry],
    collect() {
      this.set(broker.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'beamcast_node_info',
    help: 'This node: its id in the cluster and its bus driver (local or redis).',
    labelNames: ['node', 'driver'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ node: broker.nodeId, driver: broker.driver }, 1);
    },
  });
  const stat = (k: keyof BusStats) => () => broker.stats()[k];
  totalCounter(registry, 'beamcast_bus_frames_published_total', 'Frames this node handed to other nodes.', stat('framesPublished'));
  totalCounter(registry, 'beamcast_bus_frames_skipped_total', 'Frames skipped on the way to the bus because a newer one came first.', stat('framesSkipped'));
  totalCounter(registry, 'beamcast_bus_frames_fetched_total', 'Frames this node fetched from other nodes.', stat('framesFetched'));
  totalCounter(registry, 'beamcast_bus_fetched_bytes_total', 'Bytes of frames this node fetched from other nodes.', stat('bytesFetched'));
}
