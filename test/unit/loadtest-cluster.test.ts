import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { buildReport, type Collected } from '../../loadtest/build-report.js';
import { parseBusCounters, sumProbe, type ClusterSample, type NodeSample } from '../../loadtest/cluster-probe.js';
import { formatCluster } from '../../loadtest/cluster-report.js';
import { Histogram } from '../../loadtest/histogram.js';
import { OptionsError, parseOptions } from '../../loadtest/options.js';
import { parseRedisTraffic } from '../../loadtest/redis-process.js';
import { compareRows, formatCompare, type Report } from '../../loadtest/report.js';
import type { ServerSample } from '../../loadtest/server-probe.js';
import { scenarioVariants, variantOptions } from '../../loadtest/variants.js';
import type { NodeTally, WorkerResult } from '../../loadtest/worker-protocol.js';

describe('load test options for several nodes', () => {
  it('reads --nodes, --compare-nodes and --compare-viewers', () => {
    const o = parseOptions(['--spawn', '--nodes', '3', '--viewers', '1500'], 2);
    assert.equal(o.nodes, 3);
    assert.equal(parseOptions(['--spawn'], 2).nodes, 1, 'one node, without Redis, unless asked');
    const c = parseOptions(['--compare-nodes', '1,3', '--compare-viewers', '500,1500'], 2);
    assert.equal(c.spawn, true, '--compare-nodes implies --spawn');
    assert.deepEqual(c.compareNodes, [1, 3]);
    assert.deepEqual(c.compareViewers, [500, 1500]);
    assert.equal(c.nodes, 1, 'the first node count is the reference');
    assert.equal(c.viewers, 500);
  });

  it('refuses node counts it cannot run, with the reason', () => {
    assert.throws(() => parseOptions(['--ws-url', 'ws://127.0.0.1:8081', '--key', 'k', '--nodes', '2'], 2), /--nodes needs --spawn/);
    assert.throws(() => parseOptions(['--spawn', '--nodes', '2', '--compare', 'ws'], 2), /beamcast only/);
    assert.throws(() => parseOptions(['--spawn', '--nodes', '2', '--target', 'bare-uws'], 2), /beamcast only/);
    assert.throws(() => parseOptions(['--spawn', '--nodes', '0'], 2), /--nodes/);
    assert.throws(() => parseOptions(['--compare-nodes', '1,x'], 2), /--compare-nodes/);
    assert.throws(() => parseOptions(['--compare-nodes', ''], 2), OptionsError);
    assert.throws(() => parseOptions(['--spawn', '--compare-viewers', '10,2', '--chatters', '5'], 2), /--chatters/);
  });

  it('runs every combination of node and viewer counts, the first as the reference, each named by what varies', () => {
    const v = scenarioVariants(parseOptions(['--compare-nodes', '2,3', '--compare-viewers', '500,1500'], 2));
    assert.deepEqual(
      v.map((x) => x.label),
      ['beamcast 2 nodes 500 viewers', 'beamcast 2 nodes 1500 viewers', 'beamcast 3 nodes 500 viewers', 'beamcast 3 nodes 1500 viewers'],
    );
    const o = parseOptions(['--compare-nodes', '2,3'], 2);
    assert.equal(variantOptions(o, v[3]!).nodes, 3);
    assert.equal(variantOptions(o, v[3]!).viewers, 1500);
    assert.deepEqual(scenarioVariants(parseOptions(['--spawn', '--compare', 'ws'], 2)).map((x) => x.label), ['beamcast', 'ws'], 'target comparisons keep their names');
    assert.deepEqual(scenarioVariants(parseOptions(['--spawn', '--nodes', '3'], 2)).map((x) => x.label), ['beamcast 3 nodes']);
  });
});

describe('cluster readings', () => {
  it("reads Redis's traffic counters from INFO stats", () => {
    const info = '# Stats\r\ntotal_connections_received:5\r\ntotal_net_input_bytes:123456\r\ntotal_net_output_bytes:654321\r\ntotal_net_repl_input_bytes:0\r\n';
    assert.deepEqual(parseRedisTraffic(info), { inputBytes: 123456, outputBytes: 654321 });
    assert.equal(parseRedisTraffic('# Stats\r\ntotal_net_input_bytes:1\r\n'), null);
  });

  it("reads a node's bus counters from its metrics, and none from a node without them", () => {
    const text = [
      'beamcast_bus_frames_published_total 450',
      'beamcast_bus_frames_skipped_total 2',
      'beamcast_bus_frames_fetched_total 7',
      'beamcast_bus_fetched_bytes_total 358400',
    ].join('\n');
    assert.deepEqual(parseBusCounters(text), { framesPublished: 450, framesSkipped: 2, framesFetched: 7, bytesFetched: 358400 });
    assert.equal(parseBusCounters('process_cpu_user_seconds_total 1'), null);
  });

  it('sums the servers of a cluster into one reading, unknown when any node is unknown', async () => {
    const fixed = (s: ServerSample) => ({ source: 'proc' as const, sample: async () => s });
    const sum = sumProbe([fixed({ cpuSeconds: 1, rssBytes: 100, skippedFrames: 2, runWaitSeconds: 0.5 }), fixed({ cpuSeconds: 2, rssBytes: 50, skippedFrames: 0, runWaitSeconds: 0.25 })]);
    assert.deepEqual(await sum.sample(), { cpuSeconds: 3, rssBytes: 150, skippedFrames: 2, runWaitSeconds: 0.75 });
    const partial = sumProbe([fixed({ cpuSeconds: 1, rssBytes: null, skippedFrames: null }), fixed({ cpuSeconds: 2, rssBytes: 50, skippedFrames: 1 })]);
    assert.equal((await partial.sample()).rssBytes, null);
  });
});

// ---- report building ----

const WINDOW = 100;
const FRAME = 50_000;

function histogram(ms: number[]): Histogram {
  const h = new Histogram();
  for (const v of ms) h.recordMs(v);
  return h;
}

/** A viewer thread's tally for one node: `frames` per viewer, every frame `ms` late. */
function tally(frames: number[], ms: number): NodeTally {
  const n = frames.reduce((a, b) => a + b, 0);
  return { windowFrames: frames, windowBytes: n * FRAME, relay: histogram(Array(n).fill(ms)).toData(), capture: histogram(Array(n).fill(ms + 1)).toData() };
}

function workerResult(index: number, byNode: NodeTally[]): WorkerResult {
  const all = new Histogram();
  const capture = new Histogram();
  for (const t of byNode) {
    all.merge(t.relay);
    capture.merge(t.capture);
  }
  const empty = new Histogram().toData();
  return {
    type: 'result',
    index,
    windowFrames: byNode.flatMap((t) => t.windowFrames),
    windowBytes: byNode.reduce((a, t) => a + t.windowBytes, 0),
    allBytes: 0,
    relay: all.toData(),
    relayHalves: [empty, empty],
    capture: capture.toData(),
    byNode,
    slow: { count: 0, windowFrames: 0, closes: {} },
    late: { count: 0, firstFrameMs: [], connectToFirstFrameMs: [], withoutFrame: 0 },
    chat: { sent: 0, accepted: {}, receivedBySender: [], plainReceived: [], refusals: 0, idGaps: 0, latency: empty },
    refused: {},
    unexpectedCloses: {},
    elu: 0.2,
  };
}

const bus = (published: number, fetched: number) => ({ framesPublished: published, framesSkipped: 0, framesFetched: fetched, bytesFetched: fetched * FRAME });
const node = (cpuSeconds: number, runWaitSeconds: number, b: ReturnType<typeof bus>): NodeSample => ({ cpuSeconds, rssBytes: 80e6, skippedFrames: 0, runWaitSeconds, bus: b });

function collected(nodes: number, results: WorkerResult[], cluster: Collected['cluster']): Collected {
  const o = parseOptions(['--spawn', '--nodes', String(nodes), '--viewers', '4', '--fps', '10', '--duration', '10'], 2);
  const s = (cpuSeconds: number): ServerSample => ({ cpuSeconds, rssBytes: 100e6, skippedFrames: 0, runWaitSeconds: 0 });
  return {
    o, targetName: 'beamcast', spawned: true, frameBytes: FRAME, windowFrames: WINDOW, workers: results.length, sourceAddresses: 0, results,
    base: s(0), idle: s(0), idleViewers: 4, half: s(0), halfViewers: 2, start: s(10), end: s(10 + 6), peakRss: 100e6,
    wallSeconds: 10, genCpuSeconds: 1, machine: 50, senderLateP99: 1, interval: 100, warnings: [], probeSource: 'proc', frameRefusals: {},
    processes: nodes, cluster,
  };
}

describe('the report of a clustered run', () => {
  // Three nodes, two viewers each (one per viewer thread); the broadcaster is on n1. n3 lost one frame.
  const results = [
    workerResult(0, [tally([100], 5), tally([100], 9), tally([100], 10)]),
    workerResult(1, [tally([100], 6), tally([100], 12), tally([99], 11)]),
  ];
  const start: ClusterSample = {
    nodes: [node(10, 0, bus(0, 0)), node(20, 0, bus(0, 0)), node(30, 0, bus(0, 0))],
    redisInputBytes: 1_000,
    redisOutputBytes: 2_000,
    redisCpuSeconds: 5,
  };
  const end: ClusterSample = {
    nodes: [node(13, 2, bus(100, 0)), node(21.5, 0.1, bus(0, 100)), node(31.5, 0.1, bus(0, 99))],
    // In: each frame stored once; out: fetched by two nodes.
    redisInputBytes: 1_000 + 100 * FRAME,
    redisOutputBytes: 2_000 + 200 * FRAME,
    redisCpuSeconds: 5.6,
  };
  const report = buildReport(collected(3, results, { names: ['n1', 'n2', 'n3'], start, end }));
  const c = report.cluster!;

  it('splits viewers by node, and the same node from the others', () => {
    assert.deepEqual(c.perNode.map((n) => [n.node, n.broadcaster, n.measuredViewers, n.received]), [
      ['n1', true, 2, 200],
      ['n2', false, 2, 200],
      ['n3', false, 2, 199],
    ]);
    assert.equal(c.perNode[2]!.deliveredRatio, 199 / 200);
    assert.equal(c.sameNode.measuredViewers, 2);
    assert.deepEqual(c.sameNode.nodes, ['n1']);
    assert.deepEqual(c.crossNode.nodes, ['n2', 'n3']);
    assert.equal(c.crossNode.received, 399);
    assert.equal(c.crossNode.expected, 400);
    assert.ok(Math.abs(c.sameNode.relayLatencyMs.p99 - 6) < 0.1);
    assert.ok(Math.abs(c.crossNode.relayLatencyMs.p99 - 12) < 0.1);
    assert.ok(Math.abs(c.crossMinusSameP99Ms - 6) < 0.2);
    assert.equal(report.frames.received, 599, 'the totals stay those of every viewer');
  });

  it("gives each node's CPU per GB, and the cluster's with and without Redis", () => {
    assert.deepEqual(c.perNode.map((n) => n.cpuSeconds), [3, 1.5, 1.5]);
    assert.equal(c.perNode[0]!.gbDelivered, (200 * FRAME) / 1e9);
    assert.ok(Math.abs(c.perNode[0]!.cpuSecondsPerGb! - 3 / 0.01) < 1e-9);
    assert.equal(c.perNode[0]!.cpuWaitPercent, 20);
    assert.deepEqual(c.perNode[1]!.bus, bus(0, 100));
    assert.equal(c.total.cpuSeconds, 6);
    assert.ok(Math.abs(c.total.cpuSecondsWithRedis! - 6.6) < 1e-9);
    assert.ok(Math.abs(c.total.cpuSecondsPerGb! - 6 / ((599 * FRAME) / 1e9)) < 1e-9);
    assert.ok(report.warnings.some((w) => /node n1 .* waited for a CPU 20%/.test(w)));
  });

  it('compares Redis traffic with one copy of the stream per node', () => {
    assert.equal(c.redis.inputBytes, 100 * FRAME);
    assert.equal(c.redis.outputBytes, 200 * FRAME);
    assert.equal(c.redis.bytesPerSecond, (300 * FRAME) / 10);
    assert.equal(c.redis.frameBytesPerSecond, (100 * FRAME) / 10);
    assert.equal(c.redis.perFramePerNode, 1);
    assert.ok(Math.abs(c.redis.cpuSeconds! - 0.6) < 1e-9);
    const text = formatCluster(c);
    assert.match(text, /n1 \(broadcaster\)/);
    assert.match(text, /1\.00 × frame bytes × nodes/);
  });

  it('puts a single server beside the cluster: same-node figures from all its viewers, no cross-node or Redis figures', () => {
    const single = buildReport(collected(1, [workerResult(0, [tally([100, 100], 7)])], null));
    assert.equal(single.cluster, undefined, 'a single-node report keeps its shape');
    const rows = compareRows([[single], [report]]);
    const row = (name: string) => rows.find((r) => r.figure === name)!;
    assert.ok(Math.abs(row('same-node relay p99 (ms)').values[0]! - 7) < 0.1);
    assert.equal(row('cross-node relay p99 (ms)').values[0], null);
    assert.ok(Math.abs(row('cross-node relay p99 (ms)').values[1]! - 12) < 0.1);
    assert.equal(row('Redis bytes / (frame bytes × nodes)').values[1], 1);
    assert.equal(row('CPU-s per GB, nodes + Redis').values[0], single.throughput.serverCpuSecondsPerGb);
    assert.match(formatCompare([[single], [report]], ['beamcast 1 node', 'beamcast 3 nodes']), /beamcast 3 nodes \(× beamcast 1 node\)/);
    assert.equal(compareRows([[single], [single]]).some((r) => r.figure.startsWith('cross-node')), false, 'no cluster rows without a cluster');
  });

  it('serialises to JSON with per-node and same/cross-node sections', () => {
    const json = JSON.parse(JSON.stringify(report)) as Report;
    assert.equal(json.cluster!.perNode.length, 3);
    assert.ok(json.cluster!.sameNode && json.cluster!.crossNode && json.cluster!.redis && json.cluster!.total);
  });
});
