// What a scenario runs against: a running server (--ws-url), one spawned server (--spawn), or
// a spawned cluster (--spawn --nodes N). Either way: the nodes' WebSocket addresses (the first
// takes the broadcaster), the broadcaster's key, and probes for the servers' CPU and memory.
import { clusterProbe, sumProbe, type ClusterProbe } from './cluster-probe.js';
import type { TargetName } from './dialect.js';
import type { LoadtestOptions } from './options.js';
import { combinedProbe, metricsProbe, procProbe, type ServerProbe } from './server-probe.js';
import { nodeName, spawnCluster } from './spawn-cluster.js';
import { spawnTarget, type SpawnOptions, type SpawnedTarget } from './spawn-target.js';
import type { NodeAddress } from './worker-protocol.js';

export interface UnderTest {
  spawned: boolean;
  nodes: NodeAddress[];
  key: string;
  /** All servers as one (summed over the nodes of a cluster). */
  probe: ServerProbe;
  /**
   * For the frequent peak-RSS readings while streaming: /proc only when spawned, so that the
   * readings cost the servers nothing (a /metrics scrape costs beamcast a few ms of CPU).
   */
  memoryProbe: ServerProbe;
  /** Per node and Redis; only for a spawned cluster. */
  cluster: ClusterProbe | null;
  /** Full garbage collection in every spawned server, before memory is sampled. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

const noProbe: ServerProbe = { source: 'none', sample: async () => ({ cpuSeconds: null, rssBytes: null, skippedFrames: null }) };

async function serverProbe(s: SpawnedTarget): Promise<ServerProbe> {
  const metrics = s.httpPort ? await metricsProbe(`http://${s.host}:${s.httpPort}`) : null;
  return combinedProbe(procProbe(s.pid), metrics);
}

export async function openUnderTest(o: LoadtestOptions, targetName: TargetName, maxFrameBytes: number, warnings: string[]): Promise<UnderTest> {
  if (!o.spawn) {
    const u = new URL(o.wsUrl!);
    if (u.protocol !== 'ws:') throw new Error('only ws:// URLs are supported (measure behind TLS termination with its plain port)');
    const probe = (o.httpUrl ? await metricsProbe(o.httpUrl) : null) ?? noProbe;
    if (probe.source === 'none') warnings.push('server CPU and RSS unknown: give --http-url of a server with /metrics, or use --spawn');
    return {
      spawned: false,
      nodes: [{ host: u.hostname, port: Number(u.port || 80) }],
      key: o.key,
      probe,
      memoryProbe: probe,
      cluster: null,
      collectGarbage: async () => {},
      stop: async () => {},
    };
  }
  const opts: SpawnOptions = {
    env: o.serverEnv,
    maxFrameBytes,
    maxFps: Math.ceil(o.fps * 2),
    chatRate: o.chatRate,
  };
  const profile = (name: string) => (o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : []);
  let servers: SpawnedTarget[];
  let cluster: ClusterProbe | null = null;
  let stop: () => Promise<void>;
  if (o.nodes > 1) {
    // One profile per node, named after its NODE_ID.
    const c = await spawnCluster(o.nodes, opts, (name) => profile(`${targetName}-${name}`));
    servers = c.nodes;
    cluster = clusterProbe(c.nodes, c.nodes.map((_, i) => nodeName(i)), c.redis);
    stop = c.stop;
  } else {
    const s = await spawnTarget(targetName, { ...opts, nodeArgs: profile(targetName) });
    servers = [s];
    stop = s.stop;
  }
  const probes = await Promise.all(servers.map(serverProbe));
  const memory = servers.map((s) => procProbe(s.pid));
  return {
    spawned: true,
    nodes: servers.map((s) => ({ host: s.host, port: s.wsPort })),
    key: servers[0]!.key(o.room),
    probe: probes.length === 1 ? probes[0]! : sumProbe(probes),
    memoryProbe: memory.length === 1 ? memory[0]! : sumProbe(memory),
    cluster,
    collectGarbage: async () => {
      await Promise.all(servers.map((s) => s.collectGarbage()));
    },
    stop,
  };
}
