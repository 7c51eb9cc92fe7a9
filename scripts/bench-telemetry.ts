// Cost of the telemetry on the frame hot path: one accepted frame = frameReceived +
// framesSent + frameRelayed. Compares no telemetry, ours (typed-array counters, pre-bound
// histogram), and prom-client's own labelled inc() as the obvious alternative; reports ns per
// frame and young-generation GCs (allocation) per million frames, side by side in one run.
// Run: node --import tsx scripts/bench-telemetry.ts
import { PerformanceObserver } from 'node:perf_hooks';
import { Counter, Histogram, Registry } from 'prom-client';
import { noopTelemetry, type Telemetry } from '../src/core/telemetry.js';
import { PromTelemetry } from '../src/metrics/prom-telemetry.js';

const FRAMES = 2_000_000;
const ROUNDS = 5;

function naivePromClient(): Telemetry {
  const registry = new Registry();
  const framesIn = new Counter({ name: 'a_total', help: 'a', registers: [registry] });
  const bytesIn = new Counter({ name: 'b_total', help: 'b', registers: [registry] });
  const framesOut = new Counter({ name: 'c_total', help: 'c', labelNames: ['quality'], registers: [registry] }).labels('source');
  const bytesOut = new Counter({ name: 'd_total', help: 'd', labelNames: ['quality'], registers: [registry] }).labels('source');
  const relay = new Histogram({ name: 'e_seconds', help: 'e', registers: [registry], buckets: [0.0001, 0.001, 0.01] });
  return {
    ...noopTelemetry,
    frameReceived: (bytes) => {
      framesIn.inc();
      bytesIn.inc(bytes);
    },
    framesSent: (_q, count, bytes) => {
      framesOut.inc(count);
      bytesOut.inc(bytes);
    },
    frameRelayed: (s) => relay.observe(s),
  };
}

let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 1) scavenges++;
}).observe({ entryTypes: ['gc'] });

async function run(name: string, t: Telemetry): Promise<{ name: string; ns: number; gcs: number }> {
  let best = Infinity;
  let gcs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    await new Promise((resolve) => setTimeout(resolve, 50)); // let GC observer entries land
    const before = scavenges;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < FRAMES; i++) {
      t.frameReceived(20_000 + (i & 1023));
      t.framesSent('source', 50, 50 * 20_000);
      t.frameRelayed(0.0002 + (i & 7) * 1e-5);
    }
    const ns = Number(process.hrtime.bigint() - t0) / FRAMES;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (ns < best) {
      best = ns;
      gcs = ((scavenges - before) * 1e6) / FRAMES;
    }
  }
  return { name, ns: best, gcs };
}

const results = [
  await run('noop', noopTelemetry),
  await run('PromTelemetry (beamcast)', new PromTelemetry(new Registry(), ['source'])),
  await run('prom-client labelled inc()', naivePromClient()),
];
const base = results[1]!.ns;
for (const r of results) {
  process.stdout.write(
    `${r.name.padEnd(28)} ${r.ns.toFixed(1).padStart(7)} ns/frame  ${(r.ns / base).toFixed(2)}x  ${r.gcs.toFixed(1)} scavenges per 1M frames\n`,
  );
}
