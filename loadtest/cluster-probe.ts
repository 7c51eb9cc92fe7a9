// Readings of a spawned cluster: every node's CPU, memory and bus counters, and Redis's CPU and
// traffic, taken together at the start and at the end of the measured window.
import type { RedisProcess } from './redis-process.js';
import { parseMetrics, procProbe, sumMetric, type ServerProbe, type ServerSample } from './server-probe.js';
import type { SpawnedTarget } from './spawn-target.js';

/** What a node's beamcast_bus_* counters say it sent to and took from the other nodes. */
export interface BusCounters {
  framesPublished: number;
  framesSkipped: number;
  framesFetched: number;
  bytesFetched: number;
}

export interface NodeSample extends ServerSample {
  bus: BusCounters | null;
}

export interface ClusterSample {
  nodes: NodeSample[];
  redisInputBytes: number | null;
  redisOutputBytes: number | null;
  redisCpuSeconds: number | null;
}

export interface ClusterProbe {
  /** NODE_ID of each node, in the order of the samples. */
  readonly names: string[];
  sample(): Promise<ClusterSample>;
}

export function parseBusCounters(text: string): BusCounters | null {
  const get = (name: string) => sumMetric(text, (n) => n === name);
  const framesPublished = get('beamcast_bus_frames_published_total');
  if (framesPublished === null) return null;
  return {
    framesPublished,
    framesSkipped: get('beamcast_bus_frames_skipped_total') ?? 0,
    framesFetched: get('beamcast_bus_frames_fetched_total') ?? 0,
    bytesFetched: get('beamcast_bus_fetched_bytes_total') ?? 0,
  };
}

/** The servers of a cluster as one: CPU, memory, run-queue wait and skipped frames summed. */
export function sumProbe(probes: ServerProbe[]): ServerProbe {
  const add = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : a + b);
  return {
    source: probes[0]?.source ?? 'none',
    async sample() {
      const all = await Promise.all(probes.map((p) => p.sample()));
      return all.reduce((s, x) => ({
        cpuSeconds: add(s.cpuSeconds, x.cpuSeconds),
        rssBytes: add(s.rssBytes, x.rssBytes),
        skippedFrames: add(s.skippedFrames, x.skippedFrames),
        runWaitSeconds: add(s.runWaitSeconds, x.runWaitSeconds),
      }));
    },
  };
}

async function metricsText(httpUrl: string): Promise<string | null> {
  try {
    const res = await fetch(new URL('/metrics', httpUrl), { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

export function clusterProbe(nodes: SpawnedTarget[], names: string[], redis: RedisProcess): ClusterProbe {
  const redisCpu = procProbe(redis.pid);
  const sampleNode = async (node: SpawnedTarget): Promise<NodeSample> => {
    const [proc, text] = await Promise.all([procProbe(node.pid).sample(), metricsText(`http://${node.host}:${node.httpPort}`)]);
    return { ...proc, skippedFrames: text === null ? null : parseMetrics(text).skippedFrames, bus: text === null ? null : parseBusCounters(text) };
  };
  return {
    names,
    async sample() {
      const [samples, traffic, cpu] = await Promise.all([
        Promise.all(nodes.map(sampleNode)),
        redis.traffic().catch(() => null),
        redisCpu.sample(),
      ]);
      return { nodes: samples, redisInputBytes: traffic?.inputBytes ?? null, redisOutputBytes: traffic?.outputBytes ?? null, redisCpuSeconds: cpu.cpuSeconds };
    },
  };
}
