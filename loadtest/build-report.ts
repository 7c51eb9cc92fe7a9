// Turns what the viewer threads and the probes collected into the report's figures.
import { availableParallelism } from 'node:os';
import type { FrameRefusals } from './broadcaster.js';
import { buildClusterReport, type ClusterCollected } from './build-cluster-report.js';
import type { TargetName } from './dialect.js';
import { Histogram, type HistogramData } from './histogram.js';
import type { LoadtestOptions } from './options.js';
import type { Report } from './report.js';
import type { ServerProbe, ServerSample } from './server-probe.js';
import { cpuPercent, fpsFigures, quantile, ratio } from './stats.js';
import type { WorkerResult } from './worker-protocol.js';

export interface Collected {
  o: LoadtestOptions;
  targetName: TargetName;
  spawned: boolean;
  frameBytes: number;
  windowFrames: number;
  workers: number;
  sourceAddresses: number;
  results: WorkerResult[];
  base: ServerSample;
  idle: ServerSample;
  idleViewers: number;
  half: ServerSample;
  halfViewers: number;
  start: ServerSample;
  end: ServerSample;
  peakRss: number;
  wallSeconds: number;
  genCpuSeconds: number;
  machine: number | null;
  senderLateP99: number;
  interval: number;
  warnings: string[];
  probeSource: ServerProbe['source'];
  frameRefusals: FrameRefusals;
  /** Server processes the probe sums over (the nodes of a cluster; 1 otherwise). */
  processes: number;
  /** Per-node and Redis readings of a spawned cluster. */
  cluster: ClusterCollected | null;
}

export function buildReport(c: Collected): Report {
  const { o, results } = c;
  const merge = (get: (r: WorkerResult) => HistogramData) => {
    const h = new Histogram();
    for (const r of results) h.merge(get(r));
    return h;
  };
  const counts = results.flatMap((r) => r.windowFrames);
  const received = counts.reduce((a, b) => a + b, 0);
  const expected = counts.length * c.windowFrames;
  const windowBytes = results.reduce((a, r) => a + r.windowBytes, 0);
  const sum = (get: (r: WorkerResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(get(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const refused = sum((r) => r.refused);
  const unexpectedCloses = sum((r) => r.unexpectedCloses);
  const slowCloses = sum((r) => r.slow.closes);
  const lateFirst = results.flatMap((r) => r.late.firstFrameMs);
  const lateConnect = results.flatMap((r) => r.late.connectToFirstFrameMs);

  // Chat: every chatter must see every accepted message of every chatter; plain viewers must
  // count as many chat messages as were accepted in all.
  const accepted: Record<string, number> = Object.assign({}, ...results.map((r) => r.chat.accepted));
  const totalAccepted = Object.values(accepted).reduce((a, b) => a + b, 0);
  let chatLost = 0;
  let chatReceived = 0;
  let expectedDeliveries = 0;
  for (const r of results) {
    for (const got of r.chat.receivedBySender) {
      for (const [sender, n] of Object.entries(accepted)) {
        const seen = got[sender] ?? 0;
        chatReceived += Math.min(seen, n);
        chatLost += Math.max(0, n - seen);
        expectedDeliveries += n;
      }
    }
    for (const n of r.chat.plainReceived) {
      chatReceived += Math.min(n, totalAccepted);
      chatLost += Math.max(0, totalAccepted - n);
      expectedDeliveries += totalAccepted;
    }
  }
  const chatSent = results.reduce((a, r) => a + r.chat.sent, 0);

  const cpuSeconds = c.start.cpuSeconds !== null && c.end.cpuSeconds !== null ? c.end.cpuSeconds - c.start.cpuSeconds : null;
  const gb = windowBytes / 1e9;
  // Summed over a cluster's nodes: the average node's wait.
  const runWait = c.start.runWaitSeconds != null && c.end.runWaitSeconds != null ? (c.end.runWaitSeconds - c.start.runWaitSeconds) / c.processes : null;
  const perViewer = (rss: number | null, n: number) => (rss !== null && c.base.rssBytes !== null && n > 0 ? (rss - c.base.rssBytes) / n : null);
  const elus = results.sort((a, b) => a.index - b.index).map((r) => r.elu);
  const genPercent = cpuPercent(c.genCpuSeconds, c.wallSeconds);
  const bottleneck = elus.some((u) => u > 0.9) || c.senderLateP99 > c.interval;
  const warnings = [...c.warnings];
  if (bottleneck) {
    warnings.push(
      `the load generator fell behind (viewer threads busy ${elus.map((u) => `${Math.round(u * 100)}%`).join(', ')}, ` +
        `frames sent up to ${c.senderLateP99.toFixed(1)} ms late): figures understate the server; if other work held the CPU, rerun on a quiet machine, else add --workers or use a second machine`,
    );
  }
  if (runWait !== null && runWait > 0.1 * c.wallSeconds) {
    warnings.push(
      `the server was ready to run but waited for a CPU ${cpuPercent(runWait, c.wallSeconds).toFixed(0)}% of the time (other processes held the cores): its latency figures are inflated by that`,
    );
  }
  if (c.machine !== null && c.machine > 95) {
    warnings.push(`the machine's CPU was ${c.machine.toFixed(0)}% busy: server and generator competed for cores, compare runs only as ratios within one run`);
  }
  const relayP50 = merge((r) => r.relay).quantileMs(0.5);
  const before = merge((r) => r.relayHalves[0]);
  const after = merge((r) => r.relayHalves[1]);
  const captureP50 = merge((r) => r.capture).quantileMs(0.5);
  if (captureP50 - relayP50 > 2 * c.interval) {
    warnings.push(
      `frames waited ${(captureP50 - relayP50).toFixed(0)} ms (p50) between the broadcaster and the relay: the server could not read them as fast as they came (it, or the machine, ran out of CPU)`,
    );
  }
  if (received === 0 && counts.length > 0) warnings.push('no viewer received a frame in the measured window');
  const built = c.cluster ? buildClusterReport({ ...c.cluster, results, windowFrames: c.windowFrames, frameBytes: c.frameBytes, wallSeconds: c.wallSeconds }) : null;
  if (built) warnings.push(...built.warnings);
  const cluster = built?.report;
  const cpus = availableParallelism();
  return {
    target: c.targetName,
    spawned: c.spawned,
    startedAt: new Date().toISOString(),
    scenario: {
      viewers: o.viewers,
      fps: o.fps,
      frameBytes: c.frameBytes,
      duration: o.duration,
      warmup: o.warmup,
      lateJoiners: o.lateJoiners,
      chatters: o.chatters,
      chatRate: o.chatRate,
      slowViewers: o.slowViewers,
      ramp: o.ramp,
      workers: c.workers,
      sourceAddresses: Math.max(1, c.sourceAddresses),
    },
    connections: {
      attempted: o.viewers + o.lateJoiners,
      connected: c.idleViewers + results.reduce((a, r) => a + r.late.count, 0),
      refused,
      unexpectedCloses,
      errors: Object.values(refused).reduce((a, b) => a + b, 0) + Object.values(unexpectedCloses).reduce((a, b) => a + b, 0),
    },
    frames: {
      sent: c.windowFrames,
      expectedPerViewer: c.windowFrames,
      measuredViewers: counts.length,
      received,
      missed: expected - received,
      deliveredRatio: ratio(received, expected),
      skippedByServer: c.start.skippedFrames !== null && c.end.skippedFrames !== null ? c.end.skippedFrames - c.start.skippedFrames : null,
      refusedToBroadcaster: c.frameRefusals,
    },
    fps: { target: o.fps, ...fpsFigures(counts, c.windowFrames / o.fps) },
    relayLatencyMs: merge((r) => r.relay).summary(),
    captureLatencyMs: merge((r) => r.capture).summary(),
    lateJoiners: {
      count: results.reduce((a, r) => a + r.late.count, 0),
      withoutFrame: results.reduce((a, r) => a + r.late.withoutFrame, 0),
      firstFrameMs: { p50: quantile(lateFirst, 0.5), p99: quantile(lateFirst, 0.99), max: quantile(lateFirst, 1) },
      connectToFirstFrameMs: { p50: quantile(lateConnect, 0.5), p99: quantile(lateConnect, 0.99), max: quantile(lateConnect, 1) },
    },
    slowViewers: {
      count: results.reduce((a, r) => a + r.slow.count, 0),
      windowFrames: results.reduce((a, r) => a + r.slow.windowFrames, 0),
      closes: slowCloses,
      othersP99BeforeMs: before.quantileMs(0.99),
      othersP99AfterMs: after.quantileMs(0.99),
    },
    chat: {
      sent: chatSent,
      accepted: totalAccepted,
      expectedDeliveries,
      received: chatReceived,
      lost: chatLost,
      idGaps: results.reduce((a, r) => a + r.chat.idGaps, 0),
      unconfirmed: chatSent - totalAccepted,
      refusals: results.reduce((a, r) => a + r.chat.refusals, 0),
      latencyMs: merge((r) => r.chat.latency).summary(),
    },
    server: {
      source: c.probeSource,
      cpuSeconds,
      cpuPercent: cpuSeconds === null ? null : cpuPercent(cpuSeconds, c.wallSeconds),
      cpuWaitPercent: runWait === null ? null : cpuPercent(runWait, c.wallSeconds),
      rssBaseBytes: c.base.rssBytes,
      rssIdleBytes: c.idle.rssBytes,
      rssPeakBytes: c.peakRss || null,
      rssPerIdleViewerBytes:
        c.idle.rssBytes !== null && c.half.rssBytes !== null && c.idleViewers > c.halfViewers
          ? (c.idle.rssBytes - c.half.rssBytes) / (c.idleViewers - c.halfViewers)
          : perViewer(c.idle.rssBytes, c.idleViewers),
      rssAveragePerIdleViewerBytes: perViewer(c.idle.rssBytes, c.idleViewers),
      rssPerStreamingViewerBytes: perViewer(c.peakRss || null, c.idleViewers),
    },
    throughput: {
      bytesDelivered: windowBytes,
      gbDelivered: gb,
      gbitPerSec: c.wallSeconds > 0 ? (windowBytes * 8) / 1e9 / c.wallSeconds : 0,
      serverCpuSecondsPerGb: cpuSeconds !== null && gb > 0 ? cpuSeconds / gb : null,
    },
    generator: { cpuSeconds: c.genCpuSeconds, cpuPercent: genPercent, workers: c.workers, workerUtilisation: elus, senderLateP99Ms: c.senderLateP99, bottleneck },
    machine: { cpus, busyPercent: c.machine },
    ...(cluster ? { cluster } : {}),
    warnings,
  };
}
