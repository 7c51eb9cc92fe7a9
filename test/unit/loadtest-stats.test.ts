import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { cpuPercent, fpsFigures, mean, quantile, rate, ratio, relative } from '../../loadtest/stats.js';

describe('load test statistics', () => {
  it('computes nearest-rank quantiles of unsorted values', () => {
    const v = [5, 1, 4, 2, 3];
    assert.equal(quantile(v, 0), 1);
    assert.equal(quantile(v, 0.5), 3);
    assert.equal(quantile(v, 0.9), 5);
    assert.equal(quantile(v, 1), 5);
    assert.equal(quantile([], 0.5), 0);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(quantile(hundred, 0.99), 99);
    assert.equal(quantile(hundred, 0.01), 1);
  });

  it('computes rates, ratios and CPU shares without dividing by zero', () => {
    assert.equal(rate(450, 30), 15);
    assert.equal(rate(10, 0), 0);
    assert.equal(ratio(999, 1000), 0.999);
    assert.equal(ratio(0, 0), 1);
    assert.equal(cpuPercent(3, 30), 10);
    assert.equal(mean([1, 2, 3, 6]), 3);
    assert.equal(relative(2, 4), 0.5);
    assert.equal(relative(null, 4), null);
    assert.equal(relative(1, 0), null);
  });

  it('turns per-viewer frame counts into fps figures', () => {
    const counts = Array.from({ length: 100 }, (_, i) => (i === 0 ? 300 : 450));
    const f = fpsFigures(counts, 30);
    assert.equal(f.min, 10);
    assert.equal(f.p1, 10);
    assert.ok(Math.abs(f.mean - (300 + 99 * 450) / 100 / 30) < 1e-9);
    assert.deepEqual(fpsFigures([], 30), { mean: 0, min: 0, p1: 0 });
  });
});
