// Log-linear latency histogram over integer microseconds, in the spirit of HdrHistogram:
// values below 256 µs are exact, above that every power of two is split into 128 buckets,
// so any recorded value is known to within 0.8%. It is a flat Uint32Array, cheap to record
// into on the receive path, to post between threads and to merge.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 buckets per power of two
const EXACT = SUB * 2; // 0..255 µs: one bucket per µs
const MAX_EXPONENT = 34; // up to ~2^41 µs, far beyond any run
export const HISTOGRAM_BUCKETS = EXACT + MAX_EXPONENT * SUB;

export function bucketOf(us: number): number {
  if (!(us > 0)) return 0;
  const v = Math.floor(us);
  if (v < EXACT) return v;
  const e = 31 - Math.clz32(v) - SUB_BITS; // v >> e is in [128, 255]
  if (e > MAX_EXPONENT) return HISTOGRAM_BUCKETS - 1;
  return EXACT + (e - 1) * SUB + ((v >>> e) - SUB);
}

/** Lowest and highest value (µs) that fall into bucket `i`. */
export function bucketRange(i: number): [number, number] {
  if (i < EXACT) return [i, i];
  const e = Math.floor((i - EXACT) / SUB) + 1;
  const low = (((i - EXACT) % SUB) + SUB) * 2 ** e;
  return [low, low + 2 ** e - 1];
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  sum = 0;
  max = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(HISTOGRAM_BUCKETS);
    if (counts) for (let i = 0; i < counts.length; i++) this.count += counts[i]!;
  }

  /** Records a value in milliseconds (fractions kept to the microsecond). Negative values count as 0. */
  recordMs(ms: number): void {
    const us = ms > 0 ? ms * 1000 : 0;
    this.counts[bucketOf(us)]!++;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(other: HistogramData): void {
    const c = other.counts;
    for (let i = 0; i < c.length; i++) if (c[i]) this.counts[i]! += c[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The value (ms) at quantile q in [0, 1] by nearest rank: the smallest bucket whose cumulative
   * count reaches ceil(q * count), reported as the bucket's midpoint and never above the true max.
   */
  quantileMs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [lo, hi] = bucketRange(i);
        return Math.min((lo + hi) / 2, this.max) / 1000;
      }
    }
    return this.max / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      mean: this.count ? this.sum / this.count / 1000 : 0,
      p50: this.quantileMs(0.5),
      p95: this.quantileMs(0.95),
      p99: this.quantileMs(0.99),
      max: this.max / 1000,
    };
  }

  toData(): HistogramData {
    return { counts: this.counts, count: this.count, sum: this.sum, max: this.max };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}

/** What crosses a thread boundary (structured clone keeps the typed array). */
export interface HistogramData {
  counts: Uint32Array;
  count: number;
  sum: number;
  max: number;
}
