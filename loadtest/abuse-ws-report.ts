// Figures of `npm run bench:abuse-ws`: what the honest viewer got in each window, what the server
// cost, and what the abusers did, as tables. Pure functions of the recorded data.
import type { AbuseStats } from './abuse-ws-clients.js';
import type { Ping, ReceivedFrame } from './abuse-ws-honest.js';
import type { Sample } from './abuse-ws-sampler.js';
import { quantile } from './stats.js';

export interface PhaseMark {
  name: string;
  t0: number;
  t1: number;
  /** The honest broadcaster's frames [seq0, seq1) were sent in the window. */
  seq0: number;
  seq1: number;
  abuseBefore: AbuseStats | null;
  abuseAfter: AbuseStats | null;
}

export interface PhaseFigures {
  phase: string;
  seconds: number;
  framesSent: number;
  framesGot: number;
  longestGapMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  pingsSent: number;
  pingsUnanswered: number;
  pingP50Ms: number | null;
  pingMaxMs: number | null;
  eventLoopMeanMs: number | null;
  eventLoopMaxMs: number | null;
  scrapesFailed: number;
  serverCpuPercent: number | null;
  rssPeakMb: number | null;
  bufferedPeakMb: number | null;
  kernelTcpPeakDeltaMb: number | null;
  /** Connections the server closed in the window, by reason (its own count), when scraped at both ends. */
  serverCloses: Record<string, number> | null;
  abuse: AbuseStats | null;
}

export interface ScenarioResult {
  scenario: 'history' | 'quality';
  honestCloses: number;
  phases: PhaseFigures[];
}

export interface RunResult {
  label: string;
  entry: string | null;
  round: number;
  startedAt: string;
  loadBefore: string;
  loadAfter?: string;
  scenarios: ScenarioResult[];
}

const MB = 1024 * 1024;

function maxOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

function meanOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function diff(a: AbuseStats, b: AbuseStats): AbuseStats {
  const sub = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(Object.entries(x).map(([k, n]) => [k, n - (y[k] ?? 0)]).filter(([, n]) => (n as number) > 0));
  return {
    opened: a.opened - b.opened,
    refused: sub(a.refused, b.refused),
    closes: sub(a.closes, b.closes),
    requests: a.requests - b.requests,
    historyReplies: a.historyReplies - b.historyReplies,
    errorReplies: a.errorReplies - b.errorReplies,
    bytesIn: a.bytesIn - b.bytesIn,
    largestReply: a.largestReply,
    cpuSeconds: a.cpuSeconds - b.cpuSeconds,
  };
}

export function phaseFigures(m: PhaseMark, viewer: { frames: ReceivedFrame[]; pings: Ping[] }, samples: Sample[], first: PhaseMark): PhaseFigures {
  const inWindow = viewer.frames.filter((f) => f.seq >= m.seq0 && f.seq < m.seq1);
  const got = new Set(inWindow.map((f) => f.seq)).size;
  const arrivals = viewer.frames.filter((f) => f.at >= m.t0 && f.at <= m.t1).map((f) => f.at);
  let gap = 0;
  let prev = m.t0;
  for (const at of [...arrivals, m.t1]) {
    gap = Math.max(gap, at - prev);
    prev = at;
  }
  const latency = inWindow.map((f) => f.at - f.capturedAt);
  const pings = viewer.pings.filter((p) => p.sentAt >= m.t0 && p.sentAt < m.t1);
  const rtts = pings.map((p) => p.rttMs).filter((r): r is number => r !== null);
  const own = samples.filter((s) => s.at > m.t0 && s.at <= m.t1);
  const before = samples.filter((s) => s.at <= m.t0).at(-1);
  const last = own.at(-1);
  const cpu =
    before?.cpuSeconds != null && last?.cpuSeconds != null && last.at > before.at ? (100 * (last.cpuSeconds - before.cpuSeconds) * 1000) / (last.at - before.at) : null;
  const closedBefore = samples.filter((s) => s.at <= m.t0 && s.closedByReason).at(-1)?.closedByReason;
  const closedAfter = own.filter((s) => s.closedByReason).at(-1)?.closedByReason;
  const serverCloses =
    closedBefore && closedAfter
      ? Object.fromEntries(Object.entries(closedAfter).map(([k, n]) => [k, n - (closedBefore[k] ?? 0)]).filter(([, n]) => (n as number) > 0))
      : null;
  const base = samples.find((s) => s.at > first.t0 && s.kernelTcpBytes !== null)?.kernelTcpBytes ?? null;
  const kernelPeak = maxOf(own.map((s) => s.kernelTcpBytes));
  return {
    phase: m.name,
    seconds: (m.t1 - m.t0) / 1000,
    framesSent: m.seq1 - m.seq0,
    framesGot: got,
    longestGapMs: gap,
    latencyP50Ms: quantile(latency, 0.5),
    latencyP99Ms: quantile(latency, 0.99),
    pingsSent: pings.length,
    pingsUnanswered: pings.length - rtts.length,
    pingP50Ms: rtts.length ? quantile(rtts, 0.5) : null,
    pingMaxMs: rtts.length ? Math.max(...rtts) : null,
    eventLoopMeanMs: meanOf(own.map((s) => s.eventLoopMeanMs)),
    eventLoopMaxMs: maxOf(own.map((s) => s.eventLoopMaxMs)),
    scrapesFailed: own.filter((s) => s.scrapeFailed).length,
    serverCpuPercent: cpu,
    rssPeakMb: maxOf(own.map((s) => s.rssBytes)) === null ? null : maxOf(own.map((s) => s.rssBytes))! / MB,
    bufferedPeakMb: maxOf(own.map((s) => s.bufferedBytes)) === null ? null : maxOf(own.map((s) => s.bufferedBytes))! / MB,
    kernelTcpPeakDeltaMb: base === null || kernelPeak === null ? null : (kernelPeak - base) / MB,
    serverCloses,
    abuse: m.abuseBefore && m.abuseAfter ? diff(m.abuseAfter, m.abuseBefore) : null,
  };
}

const f0 = (n: number | null) => (n === null ? '–' : n.toFixed(0));
const f1 = (n: number | null) => (n === null ? '–' : n.toFixed(1));
const share = (p: PhaseFigures) => (p.framesSent > 0 ? p.framesGot / p.framesSent : 1);

/** Frames the honest viewer got in `p`, relative to the window without abusers. */
export function frameRatio(p: PhaseFigures, without: PhaseFigures): number {
  return share(p) / Math.max(share(without), 1e-9);
}

function closesText(c: Record<string, number> | null): string {
  if (c === null) return '?';
  return Object.entries(c).map(([k, n]) => `${n} ${k}`).join(', ') || '0';
}

function abuseText(a: AbuseStats | null, scenario: 'history' | 'quality'): string {
  if (!a) return '';
  const closes = Object.entries(a.closes).map(([k, n]) => `${n} × ${k}`).join(', ') || 'none';
  const refused = Object.entries(a.refused).map(([k, n]) => `${n} × ${k}`).join(', ');
  const what =
    scenario === 'history'
      ? `${a.requests} requests → ${a.historyReplies} replies (${f1(a.bytesIn / MB)} MB, largest ${f0(a.largestReply / 1024)} KB), ${a.errorReplies} errors`
      : `${a.requests} switches`;
  return `${what}; closes seen ${closes}${refused ? `; refused ${refused}` : ''}; ${a.opened} opened; client CPU ${f1(a.cpuSeconds)} s`;
}

export function printRun(out: (line?: string) => void, run: RunResult, o: { fps: number; frameKb: number; windowSec: number }): void {
  out(`# abuse: WebSocket requests (${run.label}${run.entry ? `: ${run.entry}` : ''}), round ${run.round}, ${run.startedAt}, load ${run.loadBefore} → ${run.loadAfter ?? '?'}`);
  out();
  for (const s of run.scenarios) {
    out(`## ${s.scenario === 'history' ? 'history flood' : 'quality storm'}; honest room: ${o.fps} fps × ~${o.frameKb} KB, windows of ${o.windowSec} s`);
    out();
    out('| window | honest frames | vs without | longest gap ms | latency p50/p99 ms | ping p50/max ms (unanswered) | event-loop delay mean/max ms | server CPU % | RSS peak MB | WS buffered peak MB | kernel TCP Δ MB | server closed | abusers |');
    out('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    const without = s.phases[0]!;
    for (const p of s.phases) {
      out(
        `| ${p.phase} | ${p.framesGot} / ${p.framesSent} | ${frameRatio(p, without).toFixed(2)} | ${f0(p.longestGapMs)} | ${f0(p.latencyP50Ms)} / ${f0(p.latencyP99Ms)} | ` +
          `${f0(p.pingP50Ms)} / ${f0(p.pingMaxMs)} (${p.pingsUnanswered} of ${p.pingsSent}) | ${f1(p.eventLoopMeanMs)} / ${f0(p.eventLoopMaxMs)}${p.scrapesFailed ? ` (${p.scrapesFailed} scrapes timed out)` : ''} | ` +
          `${f0(p.serverCpuPercent)} | ${f1(p.rssPeakMb)} | ${f1(p.bufferedPeakMb)} | ${f1(p.kernelTcpPeakDeltaMb)} | ${closesText(p.serverCloses)} | ${abuseText(p.abuse, s.scenario)} |`,
      );
    }
    if (s.honestCloses > 0) out(`\nThe honest viewer was closed ${s.honestCloses} times.`);
    out();
  }
}

/** One line per run: the ratios and the peaks, for reading versions side by side. */
export function printSummary(out: (line?: string) => void, runs: RunResult[]): void {
  out('# summary');
  out();
  out('| version | round | flood: honest frames vs without | flood: ping max ms | flood: event-loop max ms | flood: largest reply KB | storm: honest frames vs without | storm: WS buffered peak MB | storm: RSS peak MB |');
  out('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const h = r.scenarios.find((s) => s.scenario === 'history');
    const q = r.scenarios.find((s) => s.scenario === 'quality');
    const hw = h?.phases.find((p) => p.phase === 'with flood');
    const qs = q?.phases.find((p) => p.phase === 'switching');
    out(
      `| ${r.label} | ${r.round} | ${h && hw ? frameRatio(hw, h.phases[0]!).toFixed(2) : '–'} | ${f0(hw?.pingMaxMs ?? null)} | ${f0(hw?.eventLoopMaxMs ?? null)} | ${hw?.abuse ? f0(hw.abuse.largestReply / 1024) : '–'} | ` +
        `${q && qs ? frameRatio(qs, q.phases[0]!).toFixed(2) : '–'} | ${f1(qs?.bufferedPeakMb ?? null)} | ${f1(qs?.rssPeakMb ?? null)} |`,
    );
  }
}
