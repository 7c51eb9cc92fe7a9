// The figures of one Pusher scenario run, how they are printed, and the side-by-side comparison:
// per figure each target's median (and range over rounds), and the reference's ratio to each
// baseline taken round by round (runs of one round ran one right after the other), with its range.
import type { LatencySummary } from './histogram.js';
import type { PusherOptions, PusherTarget } from './pusher-options.js';

export interface PusherReport {
  scenario: 'pusher';
  target: PusherTarget;
  spawned: boolean;
  startedAt: string;
  options: Pick<PusherOptions, 'subscribers' | 'rate' | 'eventBytes' | 'duration' | 'warmup' | 'channel' | 'workers' | 'sourceAddresses'>;
  connections: { attempted: number; connected: number; subscribed: number; neverSubscribed: number; refused: Record<string, number>; unexpectedCloses: Record<string, number> };
  events: {
    /** Triggered in the measured window. */
    windowTriggered: number;
    /** All triggers of the run (warm-up included), by HTTP status. */
    statuses: Record<string, number>;
    firstRefusal: string | null;
    /** Trigger request sent → its response complete. */
    responseMs: LatencySummary;
  };
  deliveries: { expected: number; received: number; lost: number; deliveredRatio: number; duplicates: number; outOfOrder: number; minPerSubscriber: number };
  /** Trigger request sent → event read by the subscriber. */
  latencyMs: LatencySummary;
  /** Over the window's events: trigger → the event's first delivery, and → its last (the fan-out's end). */
  perEvent: {
    firstMs: { p50: number; p99: number; max: number };
    lastMs: { p50: number; p99: number; max: number };
    /** The five events whose last delivery took longest (seq: 1 is the first trigger of the run). */
    slowest: { seq: number; firstMs: number; lastMs: number }[];
  };
  errors: Record<string, number>;
  server: {
    source: 'proc' | 'metrics' | 'none';
    cpuSeconds: number | null;
    cpuPercent: number | null;
    cpuWaitPercent: number | null;
    /** Server CPU over the window ÷ deliveries × 1000, in milliseconds. */
    cpuMsPer1000Deliveries: number | null;
    /** CPU with every subscriber connected and no events, before the first trigger (% of a core). */
    idleCpuPercent: number | null;
    rssIdleBytes: number | null;
    rssPeakBytes: number | null;
    /** (RSS with all subscribed, idle − RSS before any) ÷ subscribers. */
    rssPerSubscriberBytes: number | null;
  };
  generator: { cpuSeconds: number; cpuPercent: number; workerUtilisation: number[]; triggerLateP99Ms: number; bottleneck: boolean };
  machine: { cpus: number; busyPercent: number | null };
  warnings: string[];
}

const f = (v: number | null | undefined, digits = 1): string => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const pct = (v: number, digits = 2) => `${(v * 100).toFixed(digits)}%`;
const mb = (b: number | null) => (b == null ? 'n/a' : `${(b / 1024 / 1024).toFixed(1)} MB`);
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function formatPusherReport(r: PusherReport): string {
  const o = r.options;
  const l = r.latencyMs;
  const d = r.deliveries;
  const sv = r.server;
  const rows = [
    ['figure', 'value'],
    ['subscribed / connected / attempted', `${r.connections.subscribed} / ${r.connections.connected} / ${r.connections.attempted}`],
    ['connection problems', counts({ ...r.connections.refused, ...Object.fromEntries(Object.entries(r.connections.unexpectedCloses).map(([k, v]) => [`close ${k}`, v])) }) || '0'],
    ['triggers answered', counts(r.events.statuses)],
    ['delivered', `${pct(d.deliveredRatio)} (${d.received} of ${d.expected}; fewest per subscriber ${d.minPerSubscriber} of ${r.events.windowTriggered})`],
    ['duplicates / out of order', `${d.duplicates} / ${d.outOfOrder}`],
    ['latency trigger → delivery p50 / p95 / p99 / max', `${f(l.p50, 2)} / ${f(l.p95, 2)} / ${f(l.p99, 2)} / ${f(l.max, 2)} ms`],
    [
      'per event: first / last delivery p50, p99',
      `${f(r.perEvent.firstMs.p50, 2)} / ${f(r.perEvent.lastMs.p50, 2)} ms, ${f(r.perEvent.firstMs.p99, 2)} / ${f(r.perEvent.lastMs.p99, 2)} ms`,
    ],
    ['slowest events (seq: first / last delivery)', r.perEvent.slowest.map((e) => `${e.seq}: ${f(e.firstMs, 0)}/${f(e.lastMs, 0)} ms`).join(', ')],
    ['trigger response p50 / p99', `${f(r.events.responseMs.p50, 2)} / ${f(r.events.responseMs.p99, 2)} ms`],
    [
      'server CPU',
      sv.cpuSeconds === null
        ? `n/a (${sv.source})`
        : `${f(sv.cpuSeconds, 3)} s (${f(sv.cpuPercent, 1)}% of a core${sv.cpuWaitPercent === null ? '' : `; waited for a CPU ${f(sv.cpuWaitPercent, 0)}% of the time`})`,
    ],
    ['server CPU per 1000 deliveries', `${f(sv.cpuMsPer1000Deliveries, 2)} ms`],
    ['server CPU idle (all subscribed, no events)', `${f(sv.idleCpuPercent, 2)}% of a core`],
    ['server RSS idle / peak', `${mb(sv.rssIdleBytes)} / ${mb(sv.rssPeakBytes)}`],
    ['server RSS per subscriber', sv.rssPerSubscriberBytes === null ? 'n/a' : `${(sv.rssPerSubscriberBytes / 1024).toFixed(2)} KB`],
    ['load generator CPU', `${f(r.generator.cpuSeconds, 2)} s (${f(r.generator.cpuPercent, 0)}%), threads busy ${r.generator.workerUtilisation.map((u) => pct(u, 0)).join(' ')}`],
    ['machine CPU busy', r.machine.busyPercent === null ? 'n/a' : `${f(r.machine.busyPercent, 0)}% of ${r.machine.cpus} cores`],
  ];
  if (Object.keys(r.errors).length) rows.push(['protocol errors', counts(r.errors)]);
  const head = `${r.target}${r.spawned ? ' (spawned)' : ''}: ${o.subscribers} Pusher subscribers on "${o.channel}", ${o.rate} events/s of ${o.eventBytes} B for ${o.duration} s; ${o.workers} subscriber threads`;
  return [head, table(rows), ...r.warnings.map((w) => `warning: ${w}`)].join('\n');
}

/** One line per run, for multi-round comparisons. */
export function formatPusherBrief(r: PusherReport): string {
  return (
    `${r.target.padEnd(10)} delivered ${pct(r.deliveries.deliveredRatio)}  p50/p99 ${f(r.latencyMs.p50, 2)}/${f(r.latencyMs.p99, 2)} ms  ` +
    `CPU ${f(r.server.cpuSeconds, 3)} s = ${f(r.server.cpuMsPer1000Deliveries, 2)} ms/1000 deliveries  idle ${f(r.server.idleCpuPercent, 2)}%  ` +
    `waited ${f(r.server.cpuWaitPercent, 0)}%  machine ${f(r.machine.busyPercent, 0)}%${r.generator.bottleneck ? '  GENERATOR-BOUND' : ''}`
  );
}

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

export interface PusherCompareRow {
  figure: string;
  /** Per target, over its rounds. */
  values: Spread[];
  /** Per baseline (targets after the first): the first target's value ÷ the baseline's, round by round. */
  ratios: (Spread & { against: PusherTarget; perRound: (number | null)[] })[];
}

export function spread(values: (number | null)[]): Spread {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null };
  const mid = v.length >> 1;
  return { median: v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2, min: v[0]!, max: v[v.length - 1]! };
}

const FIGURES: [string, (r: PusherReport) => number | null][] = [
  ['delivered %', (r) => r.deliveries.deliveredRatio * 100],
  ['latency p50 (ms)', (r) => r.latencyMs.p50],
  ['latency p99 (ms)', (r) => r.latencyMs.p99],
  ['server CPU per 1000 deliveries (ms)', (r) => r.server.cpuMsPer1000Deliveries],
  ['server CPU (% of a core)', (r) => r.server.cpuPercent],
  ['server CPU idle (% of a core)', (r) => r.server.idleCpuPercent],
  ['server waited for a CPU (% of time)', (r) => r.server.cpuWaitPercent],
  ['trigger response p99 (ms)', (r) => r.events.responseMs.p99],
  ['RSS per subscriber (KB)', (r) => (r.server.rssPerSubscriberBytes === null ? null : r.server.rssPerSubscriberBytes / 1024)],
];

/** `groups[i]`: target i's runs, round by round; the first group is the reference. */
export function pusherCompareRows(groups: PusherReport[][]): PusherCompareRow[] {
  return FIGURES.map(([figure, get]) => ({
    figure,
    values: groups.map((runs) => spread(runs.map(get))),
    ratios: groups.slice(1).map((runs) => {
      const perRound = runs.map((r, round) => {
        const ref = groups[0]![round];
        const a = ref ? get(ref) : null;
        const b = get(r);
        return a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b;
      });
      return { against: runs[0]!.target, perRound, ...spread(perRound) };
    }),
  }));
}

const num = (v: number | null) => (v === null ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const withRange = (s: Spread, x = '') => (s.median === null ? 'n/a' : s.min === s.max ? `${num(s.median)}${x}` : `${num(s.median)}${x} (${num(s.min)}–${num(s.max)})`);

export function formatPusherCompare(groups: PusherReport[][]): string {
  const rows = pusherCompareRows(groups);
  const ref = groups[0]![0]!.target;
  const head = ['figure', ...groups.map((g) => g[0]!.target), ...groups.slice(1).map((g) => `${ref} ÷ ${g[0]!.target}`)];
  return table([head, ...rows.map((row) => [row.figure, ...row.values.map((v) => withRange(v)), ...row.ratios.map((r) => withRange(r, '×'))])]);
}
