// Turns what the viewer threads counted per node, and the cluster's readings at the start and
// end of the window, into the node dimension of the report.
import type { BusCounters, ClusterSample } from './cluster-probe.js';
import type { ClusterReport, NodeFigures, ViewerGroupFigures } from './cluster-report.js';
import { Histogram } from './histogram.js';
import { cpuPercent, ratio } from './stats.js';
import type { NodeTally, WorkerResult } from './worker-protocol.js';

export interface ClusterCollected {
  /** NODE_ID per node; the first took the broadcaster. */
  names: string[];
  start: ClusterSample;
  end: ClusterSample;
}

export interface ClusterInput extends ClusterCollected {
  results: WorkerResult[];
  windowFrames: number;
  /** Average frame size on the wire (JPEG + header). */
  frameBytes: number;
  wallSeconds: number;
}

const delta = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : b - a);

function viewerGroup(names: string[], tallies: NodeTally[], windowFrames: number): ViewerGroupFigures {
  const relay = new Histogram();
  const capture = new Histogram();
  let measuredViewers = 0;
  let received = 0;
  for (const t of tallies) {
    relay.merge(t.relay);
    capture.merge(t.capture);
    measuredViewers += t.windowFrames.length;
    for (const n of t.windowFrames) received += n;
  }
  const expected = measuredViewers * windowFrames;
  return { nodes: names, measuredViewers, received, expected, deliveredRatio: ratio(received, expected), relayLatencyMs: relay.summary(), captureLatencyMs: capture.summary() };
}

function busDelta(a: BusCounters | null, b: BusCounters | null): BusCounters | null {
  if (!a || !b) return null;
  return {
    framesPublished: b.framesPublished - a.framesPublished,
    framesSkipped: b.framesSkipped - a.framesSkipped,
    framesFetched: b.framesFetched - a.framesFetched,
    bytesFetched: b.bytesFetched - a.bytesFetched,
  };
}

export function buildClusterReport(c: ClusterInput): { report: ClusterReport; warnings: string[] } {
  const { names, start, end, wallSeconds } = c;
  const warnings: string[] = [];
  // Every worker tallies every node; node i's figures are the union of the workers' i-th tallies.
  const tallyOf = (i: number): NodeTally[] => c.results.map((r) => r.byNode[i]!).filter(Boolean);
  const perNode: NodeFigures[] = names.map((node, i) => {
    const tallies = tallyOf(i);
    const group = viewerGroup([node], tallies, c.windowFrames);
    const bytes = tallies.reduce((a, t) => a + t.windowBytes, 0);
    const gb = bytes / 1e9;
    const cpu = delta(start.nodes[i]?.cpuSeconds, end.nodes[i]?.cpuSeconds);
    const wait = delta(start.nodes[i]?.runWaitSeconds, end.nodes[i]?.runWaitSeconds);
    const waitPercent = wait === null ? null : cpuPercent(wait, wallSeconds);
    if (waitPercent !== null && waitPercent > 10) {
      warnings.push(`node ${node} was ready to run but waited for a CPU ${waitPercent.toFixed(0)}% of the time: its latency figures are inflated by that`);
    }
    const { nodes: _, ...figures } = group;
    return {
      node,
      broadcaster: i === 0,
      ...figures,
      gbDelivered: gb,
      cpuSeconds: cpu,
      cpuPercent: cpu === null ? null : cpuPercent(cpu, wallSeconds),
      cpuWaitPercent: waitPercent,
      cpuSecondsPerGb: cpu !== null && gb > 0 ? cpu / gb : null,
      rssEndBytes: end.nodes[i]?.rssBytes ?? null,
      bus: busDelta(start.nodes[i]?.bus ?? null, end.nodes[i]?.bus ?? null),
    };
  });
  const sameNode = viewerGroup(names.slice(0, 1), tallyOf(0), c.windowFrames);
  const crossNode = viewerGroup(names.slice(1), names.slice(1).flatMap((_, k) => tallyOf(k + 1)), c.windowFrames);

  const inputBytes = delta(start.redisInputBytes, end.redisInputBytes);
  const outputBytes = delta(start.redisOutputBytes, end.redisOutputBytes);
  const redisBytes = inputBytes === null || outputBytes === null ? null : inputBytes + outputBytes;
  const streamBytes = c.frameBytes * c.windowFrames;
  const redisCpu = delta(start.redisCpuSeconds, end.redisCpuSeconds);

  const cpus = perNode.map((n) => n.cpuSeconds);
  const nodesCpu = cpus.every((x): x is number => x !== null) ? cpus.reduce((a, b) => a + b, 0) : null;
  const gb = perNode.reduce((a, n) => a + n.gbDelivered, 0);
  const withRedis = nodesCpu === null || redisCpu === null ? null : nodesCpu + redisCpu;
  return {
    report: {
      nodes: names.length,
      perNode,
      sameNode,
      crossNode,
      crossMinusSameP99Ms: crossNode.relayLatencyMs.p99 - sameNode.relayLatencyMs.p99,
      redis: {
        inputBytes,
        outputBytes,
        bytesPerSecond: redisBytes === null || wallSeconds <= 0 ? null : redisBytes / wallSeconds,
        frameBytesPerSecond: wallSeconds > 0 ? streamBytes / wallSeconds : 0,
        perFramePerNode: redisBytes === null || streamBytes === 0 ? null : redisBytes / (streamBytes * names.length),
        cpuSeconds: redisCpu,
        cpuPercent: redisCpu === null ? null : cpuPercent(redisCpu, wallSeconds),
      },
      total: {
        cpuSeconds: nodesCpu,
        gbDelivered: gb,
        cpuSecondsPerGb: nodesCpu !== null && gb > 0 ? nodesCpu / gb : null,
        cpuSecondsWithRedis: withRedis,
        cpuSecondsPerGbWithRedis: withRedis !== null && gb > 0 ? withRedis / gb : null,
      },
    },
    warnings,
  };
}
