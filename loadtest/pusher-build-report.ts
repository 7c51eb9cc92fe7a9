// Turns what the subscriber threads, the trigger and the probes collected into a PusherReport.
import { availableParallelism } from 'node:os';
import { Histogram, type HistogramData } from './histogram.js';
import type { PusherOptions, PusherTarget } from './pusher-options.js';
import type { PusherReport } from './pusher-report.js';
import type { TriggerStats } from './pusher-trigger.js';
import type { PusherWorkerResult } from './pusher-worker-protocol.js';
import type { ServerProbe, ServerSample } from './server-probe.js';
import { cpuPercent, quantile, ratio } from './stats.js';

export interface PusherCollected {
  o: PusherOptions;
  name: PusherTarget;
  results: PusherWorkerResult[];
  windowEvents: number;
  /** Seq of the window's first event. */
  firstSeq: number;
  subscribedAtStart: number;
  trigger: TriggerStats;
  base: ServerSample;
  idleStart: ServerSample;
  idleEnd: ServerSample;
  idleSeconds: number;
  start: ServerSample;
  end: ServerSample;
  peakRss: number;
  wallSeconds: number;
  genCpuSeconds: number;
  machine: number | null;
  triggerLateP99: number;
  interval: number;
  warnings: string[];
  probeSource: ServerProbe['source'];
}

const diff = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null ? b - a : null);

function sum(results: PusherWorkerResult[], get: (r: PusherWorkerResult) => Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(get(r))) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function buildPusherReport(c: PusherCollected): PusherReport {
  const { o, results } = c;
  const merge = (get: (r: PusherWorkerResult) => HistogramData) => {
    const h = new Histogram();
    for (const r of results) h.merge(get(r));
    return h;
  };
  const perSubscriber = results.flatMap((r) => r.windowReceived);
  const received = perSubscriber.reduce((a, b) => a + b, 0);
  const expected = perSubscriber.length * c.windowEvents;
  const cpuSeconds = diff(c.start.cpuSeconds, c.end.cpuSeconds);
  const idleCpu = diff(c.idleStart.cpuSeconds, c.idleEnd.cpuSeconds);
  const runWait = diff(c.start.runWaitSeconds, c.end.runWaitSeconds);
  const neverSubscribed = results.reduce((a, r) => a + r.neverSubscribed, 0);
  const elus = [...results].sort((a, b) => a.index - b.index).map((r) => r.elu);
  const bottleneck = elus.some((u) => u > 0.9) || c.triggerLateP99 > c.interval;
  const rssIdle = c.idleStart.rssBytes;
  // Per event: its first and its last delivery over every thread.
  const first: number[] = [];
  const last: number[] = [];
  const events: { seq: number; firstMs: number; lastMs: number }[] = [];
  for (let k = 0; k < c.windowEvents; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of results) {
      if (r.firstMs[k]! < lo) lo = r.firstMs[k]!;
      if (r.lastMs[k]! > hi) hi = r.lastMs[k]!;
    }
    if (hi >= lo) {
      first.push(lo);
      last.push(hi);
      events.push({ seq: c.firstSeq + k, firstMs: lo, lastMs: hi });
    }
  }
  const slowest = events.sort((a, b) => b.lastMs - a.lastMs).slice(0, 5);
  const q = (v: number[]) => ({ p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: quantile(v, 1) });

  const warnings = [...c.warnings];
  if (bottleneck) {
    warnings.push(
      `the load generator fell behind (subscriber threads busy ${elus.map((u) => `${Math.round(u * 100)}%`).join(', ')}, triggers up to ${c.triggerLateP99.toFixed(1)} ms late): figures understate the server`,
    );
  }
  if (runWait !== null && runWait > 0.1 * c.wallSeconds) {
    warnings.push(`the server was ready to run but waited for a CPU ${cpuPercent(runWait, c.wallSeconds).toFixed(0)}% of the time (other processes held the cores): its latency is inflated by that`);
  }
  if (c.machine !== null && c.machine > 95) warnings.push(`the machine's CPU was ${c.machine.toFixed(0)}% busy: compare runs only as ratios within one run`);
  if (neverSubscribed > 0) warnings.push(`${neverSubscribed} subscribers connected but never got subscription_succeeded`);
  if (c.subscribedAtStart < o.subscribers) warnings.push(`${c.subscribedAtStart} of ${o.subscribers} subscribers were subscribed when the first event was triggered`);
  const refusedTriggers = Object.entries(c.trigger.statuses).filter(([s]) => !/^2\d\d$/.test(s));
  if (refusedTriggers.length) warnings.push(`triggers not accepted: ${refusedTriggers.map(([s, n]) => `${s}: ${n}`).join(', ')}; first: ${c.trigger.firstRefusal ?? '?'}`);
  if (received === 0 && perSubscriber.length > 0) warnings.push('no subscriber received an event of the measured window');

  return {
    scenario: 'pusher',
    target: c.name,
    spawned: o.spawn,
    startedAt: new Date().toISOString(),
    options: {
      subscribers: o.subscribers,
      rate: o.rate,
      eventBytes: o.eventBytes,
      duration: o.duration,
      warmup: o.warmup,
      channel: o.channel,
      workers: o.workers,
      sourceAddresses: o.sourceAddresses,
    },
    connections: {
      attempted: o.subscribers,
      connected: perSubscriber.length + neverSubscribed,
      subscribed: c.subscribedAtStart,
      neverSubscribed,
      refused: sum(results, (r) => r.refused),
      unexpectedCloses: sum(results, (r) => r.unexpectedCloses),
    },
    events: { windowTriggered: c.windowEvents, statuses: c.trigger.statuses, firstRefusal: c.trigger.firstRefusal, responseMs: c.trigger.responseMs.summary() },
    deliveries: {
      expected,
      received,
      lost: expected - received,
      deliveredRatio: ratio(received, expected),
      duplicates: results.reduce((a, r) => a + r.duplicates, 0),
      outOfOrder: results.reduce((a, r) => a + r.outOfOrder, 0),
      minPerSubscriber: perSubscriber.length ? Math.min(...perSubscriber) : 0,
    },
    latencyMs: merge((r) => r.latency).summary(),
    perEvent: { firstMs: q(first), lastMs: q(last), slowest },
    errors: sum(results, (r) => r.errors),
    server: {
      source: c.probeSource,
      cpuSeconds,
      cpuPercent: cpuSeconds === null ? null : cpuPercent(cpuSeconds, c.wallSeconds),
      cpuWaitPercent: runWait === null ? null : cpuPercent(runWait, c.wallSeconds),
      cpuMsPer1000Deliveries: cpuSeconds !== null && received > 0 ? (cpuSeconds * 1000) / (received / 1000) : null,
      idleCpuPercent: idleCpu === null ? null : cpuPercent(idleCpu, c.idleSeconds),
      rssIdleBytes: rssIdle,
      rssPeakBytes: c.peakRss || null,
      rssPerSubscriberBytes: rssIdle !== null && c.base.rssBytes !== null && c.subscribedAtStart > 0 ? (rssIdle - c.base.rssBytes) / c.subscribedAtStart : null,
    },
    generator: {
      cpuSeconds: c.genCpuSeconds,
      cpuPercent: cpuPercent(c.genCpuSeconds, c.wallSeconds),
      workerUtilisation: elus,
      triggerLateP99Ms: c.triggerLateP99,
      bottleneck,
    },
    machine: { cpus: availableParallelism(), busyPercent: c.machine },
    warnings,
  };
}
