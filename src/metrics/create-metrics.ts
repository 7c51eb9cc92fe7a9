import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { RoomRegistry } from '../core/room-registry.js';
import { registerBusiestRooms } from './busiest-rooms.js';
import { registerMetricsRoute } from './metrics-route.js';
import { PromTelemetry } from './prom-telemetry.js';
import { registerRoomGauges } from './room-gauges.js';
import { registerBusMetrics } from './bus-metrics.js';
import { registerSocketGauges, type SocketStats } from './socket-gauges.js';
import { PromPusherTelemetry, registerPusherGauges } from './pusher-metrics.js';
import type { PusherStats } from '../transport/pusher/pusher-transport.js';
import { registerTierGauges } from './tier-gauges.js';

const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface Metrics {
  /** Own registry: nothing else in the process (or another server in tests) shares its series. */
  readonly registry: Registry;
  readonly telemetry: PromTelemetry;
  /** The Pusher endpoint's and its webhooks' counters (the `pusherTelemetry` extension). */
  readonly pusher: PromPusherTelemetry;
  /** The `Extensions.http` hook: room gauges and GET /metrics. */
  http(app: FastifyInstance, rooms: RoomRegistry): void;
  /** Once the WebSocket server runs: its socket gauges. */
  watchSockets(ws: SocketStats): void;
  /** Once the Pusher endpoint runs: its connection and subscription gauges. */
  watchPusher(pusher: { stats(): PusherStats }): void;
}

export interface MetricsOptions {
  /** Quality tiers whose series exist from the start (others appear when first used). */
  qualities?: readonly string[];
  /** METRICS_ROOM_LABELS: how many of the busiest rooms get per-room series; 0: none. */
  roomLabels?: number;
}

/**
 * Everything Prometheus sees: domain counters and histograms, room gauges, and prom-client's
 * default process metrics (CPU, RSS, heap, handles, GC, event-loop lag percentiles).
 */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool
  // rejects them); the same numbers remain as nodejs_active_{handles,requests,resources}{type}.
  for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  const telemetry = new PromTelemetry(registry, opts.qualities);
  const pusher = new PromPusherTelemetry(registry);
  return {
    registry,
    telemetry,
    pusher,
    http(app, rooms) {
      registerRoomGauges(registry, rooms);
      registerTierGauges(registry, rooms, opts.qualities ?? []);
      registerBusMetrics(registry, rooms.broker);
      registerBusiestRooms(registry, rooms, opts.roomLabels ?? 0);
      registerMetricsRoute(app, registry);
    },
    watchSockets(ws) {
      registerSocketGauges(registry, ws);
    },
    watchPusher(p) {
      registerPusherGauges(registry, () => p.stats());
    },
  };
}
