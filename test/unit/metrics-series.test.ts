import assert from 'node:assert/strict';
import { test } from 'vitest';
import { Registry } from 'prom-client';
import { FastCounter } from '../../src/metrics/fast-counter.js';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { LabelSlots } from '../../src/metrics/label-dimension.js';
import { PromTelemetry } from '../../src/metrics/prom-telemetry.js';
import { parseProm, valueOf } from '../helpers/prom-text.js';

test('label slots: listed values first, then a few learned ones, then "other"', () => {
  const slots = new LabelSlots({ name: 'reason', values: ['a', 'b'], learn: 2 });
  assert.equal(slots.slot('a'), 0);
  assert.equal(slots.slot('b'), 1);
  const x = slots.slot('x');
  const y = slots.slot('y');
  assert.notEqual(x, y);
  assert.equal(slots.slot('x'), x, 'a learned value keeps its slot');
  assert.equal(slots.slot('z'), slots.size - 1, 'beyond the cap: other');
  assert.equal(slots.slot('w'), slots.size - 1);
  assert.equal(slots.names[slots.size - 1], 'other');
});

test('a fast counter exports listed series at 0 and others once they happen', async () => {
  const registry = new Registry();
  const c = new FastCounter(registry, 'x_events_total', 'Events.', [
    { name: 'role', values: ['viewer', 'broadcaster'] },
    { name: 'reason', values: ['client'], accept: ['policy'] },
  ]);
  let samples = parseProm(await registry.metrics());
  assert.equal(valueOf(samples, 'x_events_total', { role: 'viewer', reason: 'client' }), 0);
  assert.equal(valueOf(samples, 'x_events_total', { role: 'viewer', reason: 'policy' }), undefined);
  c.add2('viewer', 'policy', 2);
  c.add2('viewer', 'policy');
  c.add2('broadcaster', 'nonsense');
  samples = parseProm(await registry.metrics());
  assert.equal(valueOf(samples, 'x_events_total', { role: 'viewer', reason: 'policy' }), 3);
  assert.equal(valueOf(samples, 'x_events_total', { role: 'broadcaster', reason: 'other' }), 1);
  assert.equal(c.value('viewer', 'policy'), 3);
});

test('telemetry caps label values it is handed by other modules', async () => {
  const registry = new Registry();
  const t = new PromTelemetry(registry, ['source', 'low']);
  for (let i = 0; i < 100; i++) {
    t.framesSent(`q${i}`, 1, 10);
    t.recompressFailed('low', `reason-${i}`);
    t.frameRecompressed(`tier${i}`, 0.01);
  }
  const samples = parseProm(await registry.metrics());
  const distinct = (name: string, label: string) => new Set(samples.filter((s) => s.name === name).map((s) => s.labels[label])).size;
  assert.ok(distinct('beamcast_frames_sent_total', 'quality') <= 2 + 16 + 1);
  assert.ok(distinct('beamcast_recompress_failures_total', 'reason') <= 8 + 1);
  assert.ok(distinct('beamcast_recompress_seconds_count', 'quality') <= 1 + 16 + 1);
  assert.equal(valueOf(samples, 'beamcast_frames_sent_total', { quality: 'other' }), 100 - 16);
});

test('a fast histogram exports cumulative buckets, +Inf, sum and count like prom-client', async () => {
  const registry = new Registry();
  const h = new FastHistogram(registry, 'x_seconds', 'Durations.', [0.1, 0.01, 1], { name: 'quality', values: ['low'], learn: 1 });
  let samples = parseProm(await registry.metrics());
  assert.equal(valueOf(samples, 'x_seconds_count', { quality: 'low' }), 0, 'listed series start at 0');
  for (const v of [0.005, 0.01, 0.05, 0.5, 5]) h.observe1('low', v);
  h.observe1('low', Number.NaN);
  h.observe1('high', 0.2);
  samples = parseProm(await registry.metrics());
  const b = (le: string, quality = 'low') => valueOf(samples, 'x_seconds_bucket', { quality, le });
  assert.deepEqual([b('0.01'), b('0.1'), b('1'), b('+Inf')], [2, 3, 4, 5], 'le is inclusive and cumulative');
  assert.equal(valueOf(samples, 'x_seconds_count', { quality: 'low' }), 5, 'NaN is not counted');
  assert.ok(Math.abs(valueOf(samples, 'x_seconds_sum', { quality: 'low' })! - 5.565) < 1e-9);
  assert.equal(b('1', 'high'), 1, 'a learned label value appears once observed');
  const text = await registry.metrics();
  assert.match(text, /# TYPE x_seconds histogram/);
});
