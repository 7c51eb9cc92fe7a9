import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { HISTOGRAM_BUCKETS, Histogram, bucketOf, bucketRange } from '../../loadtest/histogram.js';

describe('latency histogram', () => {
  it('keeps values below 256 µs exact and every bucket range contiguous', () => {
    for (let us = 0; us < 256; us++) assert.deepEqual(bucketRange(bucketOf(us)), [us, us]);
    for (let i = 1; i < HISTOGRAM_BUCKETS - 1; i++) assert.equal(bucketRange(i)[0], bucketRange(i - 1)[1] + 1, `bucket ${i} starts where ${i - 1} ends`);
  });

  it('puts every value in the bucket whose range holds it, within 0.8%', () => {
    for (const us of [256, 300, 511, 512, 1000, 12_345, 99_999, 1_000_000, 60_000_000]) {
      const [lo, hi] = bucketRange(bucketOf(us));
      assert.ok(lo <= us && us <= hi, `${us} in [${lo}, ${hi}]`);
      assert.ok((hi - lo) / lo <= 1 / 128, `bucket of ${us} is narrow`);
    }
  });

  it('reports nearest-rank percentiles close to the exact ones', () => {
    const h = new Histogram();
    const values: number[] = [];
    let s = 7;
    for (let i = 0; i < 10_000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const ms = (s / 2 ** 32) * 200; // 0..200 ms
      values.push(ms);
      h.recordMs(ms);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      assert.ok(Math.abs(h.quantileMs(q) - exact) <= exact * 0.01 + 0.001, `p${q * 100}: ${h.quantileMs(q)} vs ${exact}`);
    }
    assert.ok(Math.abs(h.summary().max - values.at(-1)!) < 0.001, 'max is kept exactly (to the µs)');
    assert.equal(h.count, 10_000);
  });

  it('picks the nearest-rank sample on small samples, and 0 when empty', () => {
    const h = new Histogram();
    assert.equal(h.quantileMs(0.99), 0);
    for (const ms of [1, 2, 3, 4, 100]) h.recordMs(ms);
    const near = (got: number, want: number) => assert.ok(Math.abs(got - want) <= want / 128, `${got} ≈ ${want}`);
    near(h.quantileMs(0.5), 3);
    near(h.quantileMs(0.8), 4);
    assert.equal(h.quantileMs(0.99), 100, 'never above the exact max');
    assert.equal(h.summary().mean, 22);
    h.recordMs(-5);
    assert.equal(h.quantileMs(0), 0, 'negative values (clock skew) count as 0');
  });

  it('merges across threads as if everything was recorded in one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 500; i++) {
      (i % 2 ? a : b).recordMs(i / 10);
      all.recordMs(i / 10);
    }
    const merged = Histogram.from(structuredClone(a.toData()));
    merged.merge(structuredClone(b.toData()));
    assert.deepEqual(merged.summary(), all.summary());
  });
});
