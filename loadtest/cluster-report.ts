// The node dimension of a report: figures per node, viewers on the broadcaster's node against
// viewers on the other nodes, what crossed Redis, and the cluster's CPU per GB.
import type { BusCounters } from './cluster-probe.js';
import type { LatencySummary } from './histogram.js';
import { fixed as f, pct, table } from './text-table.js';

/** Frames the normal viewers of some nodes received in the measured window. */
export interface ViewerGroupFigures {
  nodes: string[];
  measuredViewers: number;
  received: number;
  expected: number;
  deliveredRatio: number;
  relayLatencyMs: LatencySummary;
  captureLatencyMs: LatencySummary;
}

export interface NodeFigures extends Omit<ViewerGroupFigures, 'nodes'> {
  node: string;
  broadcaster: boolean;
  gbDelivered: number;
  cpuSeconds: number | null;
  cpuPercent: number | null;
  /** Share of the window this node's main thread was runnable but waited for a CPU. */
  cpuWaitPercent: number | null;
  cpuSecondsPerGb: number | null;
  rssEndBytes: number | null;
  /** Its beamcast_bus_* counters over the window. */
  bus: BusCounters | null;
}

export interface ClusterReport {
  nodes: number;
  perNode: NodeFigures[];
  /** Viewers on the broadcaster's node: relayed without Redis. */
  sameNode: ViewerGroupFigures;
  /** Viewers on every other node: each frame came through Redis. */
  crossNode: ViewerGroupFigures;
  crossMinusSameP99Ms: number;
  redis: {
    inputBytes: number | null;
    outputBytes: number | null;
    /** Input + output over the window. */
    bytesPerSecond: number | null;
    /** The broadcaster's frames alone, per second: what one copy of the stream costs. */
    frameBytesPerSecond: number;
    /** Redis traffic ÷ (frame bytes × frames in the window × nodes): 1 when each frame crosses Redis once per node (in once, out to every other node). */
    perFramePerNode: number | null;
    cpuSeconds: number | null;
    cpuPercent: number | null;
  };
  total: {
    /** The nodes' CPU (the same figure as the report's server CPU). */
    cpuSeconds: number | null;
    gbDelivered: number;
    cpuSecondsPerGb: number | null;
    cpuSecondsWithRedis: number | null;
    cpuSecondsPerGbWithRedis: number | null;
  };
}

const mbps = (b: number | null) => (b === null ? 'n/a' : `${(b / 1e6).toFixed(2)} MB/s`);
const lat = (l: LatencySummary) => `${f(l.p50, 2)} / ${f(l.p99, 2)}`;

export function formatCluster(c: ClusterReport): string {
  const rows: string[][] = [['viewers on', 'viewers', 'delivered', 'relay p50 / p99 ms', 'CPU s', 'waited', 'GB', 'CPU-s / GB', 'bus frames out / in']];
  for (const n of c.perNode) {
    rows.push([
      `${n.node}${n.broadcaster ? ' (broadcaster)' : ''}`,
      String(n.measuredViewers),
      pct(n.deliveredRatio),
      lat(n.relayLatencyMs),
      f(n.cpuSeconds, 2),
      n.cpuWaitPercent === null ? 'n/a' : `${f(n.cpuWaitPercent, 0)}%`,
      f(n.gbDelivered, 2),
      f(n.cpuSecondsPerGb, 3),
      n.bus ? `${n.bus.framesPublished} / ${n.bus.framesFetched}` : 'n/a',
    ]);
  }
  const group = (name: string, g: ViewerGroupFigures) => [name, String(g.measuredViewers), pct(g.deliveredRatio), lat(g.relayLatencyMs), '', '', '', '', ''];
  rows.push(group('same node', c.sameNode), group('other nodes', c.crossNode));
  const t = c.total;
  rows.push(['all nodes', '', '', '', f(t.cpuSeconds, 2), '', f(t.gbDelivered, 2), f(t.cpuSecondsPerGb, 3), '']);
  const r = c.redis;
  return [
    `cluster: ${c.nodes} nodes sharing the room through Redis, broadcaster on ${c.perNode.find((n) => n.broadcaster)?.node ?? '?'}`,
    table(rows),
    `cross-node relay p99 − same-node p99: ${c.crossMinusSameP99Ms >= 0 ? '+' : ''}${f(c.crossMinusSameP99Ms, 2)} ms`,
    `Redis traffic: ${mbps(r.bytesPerSecond)} in + out = ${f(r.perFramePerNode, 2)} × frame bytes × nodes (one stream: ${mbps(r.frameBytesPerSecond)}); ` +
      `redis-server CPU ${f(r.cpuSeconds, 2)} s (${f(r.cpuPercent, 0)}% of a core)`,
    `CPU per GB, all nodes: ${f(t.cpuSecondsPerGb, 3)} s; with redis-server: ${f(t.cpuSecondsPerGbWithRedis, 3)} s`,
  ].join('\n');
}
