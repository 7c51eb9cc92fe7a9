// The figures of one run, and how they are printed.
import { formatCluster, type ClusterReport } from './cluster-report.js';
import type { TargetName } from './dialect.js';
import type { LatencySummary } from './histogram.js';
import type { LoadtestOptions } from './options.js';
import { relative } from './stats.js';
import { fixed, pct, table } from './text-table.js';

export interface Report {
  target: TargetName;
  spawned: boolean;
  startedAt: string;
  scenario: Pick<
    LoadtestOptions,
    'viewers' | 'fps' | 'duration' | 'warmup' | 'lateJoiners' | 'chatters' | 'chatRate' | 'slowViewers' | 'ramp' | 'workers' | 'sourceAddresses'
  > & { frameBytes: number };
  connections: { attempted: number; connected: number; refused: Record<string, number>; unexpectedCloses: Record<string, number>; errors: number };
  frames: {
    sent: number;
    expectedPerViewer: number;
    measuredViewers: number;
    received: number;
    missed: number;
    deliveredRatio: number;
    skippedByServer: number | null;
    /** Errors beamcast sent the broadcaster (e.g. FRAME_RATE_LIMITED), including the ones it folded into `dropped`. */
    refusedToBroadcaster: Record<string, number>;
  };
  fps: { target: number; mean: number; min: number; p1: number };
  relayLatencyMs: LatencySummary;
  captureLatencyMs: LatencySummary;
  lateJoiners: { count: number; withoutFrame: number; firstFrameMs: { p50: number; p99: number; max: number }; connectToFirstFrameMs: { p50: number; p99: number; max: number } };
  /** Slow viewers stop reading halfway through the window: the others' p99 before and after, same run. */
  slowViewers: { count: number; windowFrames: number; closes: Record<string, number>; othersP99BeforeMs: number; othersP99AfterMs: number };
  chat: { sent: number; accepted: number; expectedDeliveries: number; received: number; lost: number; idGaps: number; unconfirmed: number; refusals: number; latencyMs: LatencySummary };
  server: {
    source: 'proc' | 'metrics' | 'none';
    cpuSeconds: number | null;
    cpuPercent: number | null;
    /** Share of the window the server's main thread was runnable but waited for a CPU others held. */
    cpuWaitPercent: number | null;
    rssBaseBytes: number | null;
    rssIdleBytes: number | null;
    rssPeakBytes: number | null;
    /** Marginal: RSS growth from half to all viewers connected (idle, after a full GC), per viewer. */
    rssPerIdleViewerBytes: number | null;
    /** Average: RSS growth from no viewers to all of them, per viewer (includes one-time growth). */
    rssAveragePerIdleViewerBytes: number | null;
    rssPerStreamingViewerBytes: number | null;
  };
  throughput: { bytesDelivered: number; gbDelivered: number; gbitPerSec: number; serverCpuSecondsPerGb: number | null };
  generator: { cpuSeconds: number; cpuPercent: number; workers: number; workerUtilisation: number[]; senderLateP99Ms: number; bottleneck: boolean };
  machine: { cpus: number; busyPercent: number | null };
  /** Several nodes through Redis (`--nodes`): then `server` and `throughput` sum over the nodes. */
  cluster?: ClusterReport;
  warnings: string[];
}

const f = fixed;
const kb = (b: number | null) => (b == null ? 'n/a' : `${(b / 1024).toFixed(2)} KB`);
const mb = (b: number | null) => (b == null ? 'n/a' : `${(b / 1024 / 1024).toFixed(1)} MB`);

export function formatReport(r: Report): string {
  const s = r.scenario;
  const lines: string[] = [];
  lines.push(
    `${r.target}${r.spawned ? ' (spawned)' : ''}: ${s.viewers} viewers × ${s.fps} fps × ${(s.frameBytes / 1024).toFixed(1)} KB for ${s.duration} s` +
      `${s.slowViewers ? `, ${pct(s.slowViewers, 0)} slow` : ''}${s.lateJoiners ? `, ${s.lateJoiners} late joiners` : ''}` +
      `${s.chatters ? `, ${s.chatters} chatters × ${s.chatRate}/s` : ''}; ${s.workers} viewer threads`,
  );
  const l = r.relayLatencyMs;
  const c = r.captureLatencyMs;
  const rows = [
    ['figure', 'value'],
    ['connected / attempted', `${r.connections.connected} / ${r.connections.attempted}`],
    ['connection errors', `${r.connections.errors}${fmtCounts(r.connections.refused, r.connections.unexpectedCloses)}`],
    ['delivered', `${pct(r.frames.deliveredRatio)} (${r.frames.received} of ${r.frames.expectedPerViewer * r.frames.measuredViewers})`],
    ['frames skipped by server', r.frames.skippedByServer === null ? `n/a (missed by viewers: ${r.frames.missed})` : String(r.frames.skippedByServer)],
    ['frames refused at the server (at least)', fmtCounts(r.frames.refusedToBroadcaster, {}).replace(/^ \((.*)\)$/, '$1') || '0'],
    ['fps per viewer mean / p1 / min', `${f(r.fps.mean, 2)} / ${f(r.fps.p1, 2)} / ${f(r.fps.min, 2)}`],
    ['relay latency p50 / p95 / p99 / max', `${f(l.p50, 2)} / ${f(l.p95, 2)} / ${f(l.p99, 2)} / ${f(l.max, 2)} ms`],
    ['capture latency p50 / p99', `${f(c.p50, 2)} / ${f(c.p99, 2)} ms`],
  ];
  if (r.lateJoiners.count) {
    const lj = r.lateJoiners;
    rows.push(['late joiners: first frame p50 / p99', `${f(lj.firstFrameMs.p50, 2)} / ${f(lj.firstFrameMs.p99, 2)} ms after ${r.target === 'beamcast' || r.target === 'socketio' ? 'welcome' : 'open'}`]);
    rows.push(['late joiners: connect → frame p50 / p99', `${f(lj.connectToFirstFrameMs.p50, 2)} / ${f(lj.connectToFirstFrameMs.p99, 2)} ms (${lj.withoutFrame} without a frame)`]);
  }
  if (r.slowViewers.count) {
    const sl = r.slowViewers;
    rows.push(['slow viewers (stop reading halfway)', `${sl.count}, closed by server: ${fmtCounts(sl.closes, {}) || '0'}`]);
    rows.push([
      "others' relay p99 before / after they stop",
      `${f(sl.othersP99BeforeMs, 2)} / ${f(sl.othersP99AfterMs, 2)} ms (${f(sl.othersP99BeforeMs > 0 ? sl.othersP99AfterMs / sl.othersP99BeforeMs : null, 2)}x)`,
    ]);
  }
  if (r.chat.sent) {
    const ch = r.chat;
    rows.push(['chat sent / accepted / received', `${ch.sent} / ${ch.accepted} / ${ch.received} of ${ch.expectedDeliveries}`]);
    rows.push(['chat lost / id gaps', `${ch.lost} / ${ch.idGaps}${ch.unconfirmed ? ` (${ch.unconfirmed} never confirmed to the sender, ${ch.refusals} refusals)` : ''}`]);
    rows.push(['chat latency p50 / p99', `${f(ch.latencyMs.p50, 2)} / ${f(ch.latencyMs.p99, 2)} ms`]);
  }
  const sv = r.server;
  rows.push([
    'server CPU',
    sv.cpuSeconds === null
      ? `n/a (${sv.source})`
      : `${f(sv.cpuSeconds, 2)} s (${f(sv.cpuPercent, 0)}% of a core${sv.cpuWaitPercent === null ? '' : `; waited for a CPU ${f(sv.cpuWaitPercent, 0)}% of the time`})`,
  ]);
  rows.push(['server CPU per GB delivered', `${f(r.throughput.serverCpuSecondsPerGb, 3)} s (${f(r.throughput.gbDelivered, 2)} GB, ${f(r.throughput.gbitPerSec, 2)} Gbit/s)`]);
  rows.push(['server RSS base / idle / peak', `${mb(sv.rssBaseBytes)} / ${mb(sv.rssIdleBytes)} / ${mb(sv.rssPeakBytes)}`]);
  rows.push([
    'server RSS per viewer idle / streaming',
    `${kb(sv.rssPerIdleViewerBytes)} (average ${kb(sv.rssAveragePerIdleViewerBytes)}) / ${kb(sv.rssPerStreamingViewerBytes)}`,
  ]);
  const g = r.generator;
  rows.push(['load generator CPU', `${f(g.cpuSeconds, 2)} s (${f(g.cpuPercent, 0)}%), threads busy ${g.workerUtilisation.map((u) => pct(u, 0)).join(' ')}`]);
  rows.push(['machine CPU busy', r.machine.busyPercent === null ? 'n/a' : `${f(r.machine.busyPercent, 0)}% of ${r.machine.cpus} cores`]);
  lines.push(table(rows));
  if (r.cluster) lines.push(formatCluster(r.cluster));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function fmtCounts(a: Record<string, number>, b: Record<string, number>): string {
  const parts = [...Object.entries(a).map(([k, v]) => `${k}: ${v}`), ...Object.entries(b).map(([k, v]) => `close ${k}: ${v}`)];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export interface CompareRow {
  figure: string;
  /** Lower is better? Used only to phrase the table. */
  values: (number | null)[];
  ratios: (number | null)[];
}

/**
 * Side-by-side figures of runs with identical scenarios, one group of runs per target (first:
 * the reference). With several rounds each figure is the median over the target's runs.
 * Ratios are value / the reference's value.
 */
export function compareRows(groups: Report[][]): CompareRow[] {
  const all = groups.flat();
  const pick: [string, (r: Report) => number | null][] = [
    ['delivered %', (r) => r.frames.deliveredRatio * 100],
    ['relay latency p99 (ms)', (r) => r.relayLatencyMs.p99],
    ['relay latency p50 (ms)', (r) => r.relayLatencyMs.p50],
    ['server CPU (s)', (r) => r.server.cpuSeconds],
    ['server waited for a CPU (% of time)', (r) => r.server.cpuWaitPercent],
    ['server CPU-s per GB delivered', (r) => r.throughput.serverCpuSecondsPerGb],
    ['GB delivered', (r) => r.throughput.gbDelivered],
    ['RSS per idle viewer (KB)', (r) => (r.server.rssPerIdleViewerBytes === null ? null : r.server.rssPerIdleViewerBytes / 1024)],
    ['RSS per streaming viewer (KB)', (r) => (r.server.rssPerStreamingViewerBytes === null ? null : r.server.rssPerStreamingViewerBytes / 1024)],
    ['RSS peak (MB)', (r) => (r.server.rssPeakBytes === null ? null : r.server.rssPeakBytes / 1024 / 1024)],
  ];
  if (all.some((r) => r.lateJoiners.count > 0)) {
    pick.push(['late joiner connect→frame p99 (ms)', (r) => r.lateJoiners.connectToFirstFrameMs.p99]);
  }
  if (all.some((r) => r.chat.sent > 0)) pick.push(['chat lost', (r) => r.chat.lost]);
  if (all.some((r) => r.cluster)) {
    // A single server counts as its own "same node", with no Redis.
    pick.push(
      ['same-node relay p99 (ms)', (r) => (r.cluster ? r.cluster.sameNode.relayLatencyMs.p99 : r.relayLatencyMs.p99)],
      ['cross-node relay p99 (ms)', (r) => r.cluster?.crossNode.relayLatencyMs.p99 ?? null],
      ['cross-node delivered %', (r) => (r.cluster ? r.cluster.crossNode.deliveredRatio * 100 : null)],
      ['Redis MB/s in + out', (r) => (r.cluster?.redis.bytesPerSecond == null ? null : r.cluster.redis.bytesPerSecond / 1e6)],
      ['Redis bytes / (frame bytes × nodes)', (r) => r.cluster?.redis.perFramePerNode ?? null],
      ['CPU-s per GB, nodes + Redis', (r) => (r.cluster ? r.cluster.total.cpuSecondsPerGbWithRedis : r.throughput.serverCpuSecondsPerGb)],
    );
  }
  return pick.map(([figure, get]) => {
    const values = groups.map((runs) => median(runs.map(get)));
    return { figure, values, ratios: values.map((v) => relative(v, values[0])) };
  });
}

function median(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** `labels`: one per group (default: the target's name). */
export function formatCompare(groups: Report[][], labels: string[] = groups.map((g) => g[0]!.target)): string {
  const rows = compareRows(groups);
  const ref = labels[0]!;
  const head = ['figure', ...labels.map((l, i) => (i === 0 ? l : `${l} (× ${ref})`))];
  const body = rows.map((row) => [
    row.figure,
    ...row.values.map((v, i) => {
      const val = v === null ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(v < 1 ? 3 : 2);
      const rt = row.ratios[i];
      return i === 0 || rt == null ? val : `${val} (${rt.toFixed(2)}x)`;
    }),
  ]);
  return table([head, ...body]);
}

/** One line per run, for multi-round comparisons. */
export function formatBrief(r: Report, label: string = r.target): string {
  const f2 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const c = r.cluster;
  const cross = c ? `  cross-node p99 ${f(c.crossNode.relayLatencyMs.p99, 1)} ms, Redis ${f((c.redis.bytesPerSecond ?? NaN) / 1e6, 2)} MB/s` : '';
  return (
    `${label.padEnd(9)} delivered ${pct(r.frames.deliveredRatio)}  p50/p99 ${f(r.relayLatencyMs.p50, 1)}/${f(r.relayLatencyMs.p99, 1)} ms  ` +
    `CPU ${f(r.server.cpuSeconds, 2)} s = ${f2(r.throughput.serverCpuSecondsPerGb)} s/GB  RSS/idle viewer ${kb(r.server.rssPerIdleViewerBytes)}  ` +
    `machine ${f(r.machine.busyPercent, 0)}%${cross}${r.generator.bottleneck ? '  GENERATOR-BOUND' : ''}`
  );
}
