import type { Metric, Registry } from 'prom-client';
import { LabelSlots, type LabelDimension } from './label-dimension.js';

interface Exported {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A Prometheus histogram with at most one label, counting into a Float64Array: an observation
 * is a short scan of the bucket bounds and three additions, with no allocation. prom-client's
 * Histogram allocates a label object and hash string per observation, too much for every frame.
 *
 * prom-client has no public way to set a histogram's state, so this registers itself as a
 * metric object (name, help, type, aggregator, get(), reset()): the contract the registry reads.
 */
export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly dim: LabelSlots | null;
  // Per series: one count per bucket (not cumulative), then the +Inf overflow, then the sum.
  private readonly stride: number;
  private readonly data: Float64Array;

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    dim?: LabelDimension,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.dim = dim ? new LabelSlots(dim) : null;
    this.stride = this.bounds.length + 2;
    this.data = new Float64Array((this.dim?.size ?? 1) * this.stride);
    registry.registerMetric(this as unknown as Metric);
  }

  observe(seconds: number): void {
    this.record(0, seconds);
  }

  observe1(label: string, seconds: number): void {
    this.record(this.dim!.slot(label) * this.stride, seconds);
  }

  reset(): void {
    this.data.fill(0);
  }

  /** The registry's view: cumulative buckets, sum and count of each series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Exported[] }> {
    const values: Exported[] = [];
    const n = this.bounds.length;
    const series = this.dim?.size ?? 1;
    for (let s = 0; s < series; s++) {
      const base = s * this.stride;
      let count = 0;
      for (let i = 0; i <= n; i++) count += this.data[base + i]!;
      if (this.dim && s >= this.dim.initial && count === 0) continue;
      const labels: Record<string, string> = this.dim ? { [this.dim.name]: this.dim.names[s]! } : {};
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += this.data[base + i]!;
        values.push({ labels: { ...labels, le: this.bounds[i]! }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: this.data[base + n + 1]!, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private record(base: number, v: number): void {
    if (!(v >= 0)) return; // NaN or negative: a clock glitch, not a duration
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.data[base + i]! += 1;
    this.data[base + b.length + 1]! += v;
  }
}
