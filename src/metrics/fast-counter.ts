import { Counter, type Registry } from 'prom-client';
import { LabelSlots, type LabelDimension } from './label-dimension.js';

/**
 * A Prometheus counter whose totals live in a plain Float64Array. The hot path adds to one slot
 * (a Map lookup per label, no allocation); prom-client reads the totals only when scraped.
 * prom-client's own `inc` builds a label hash string on every call, which is why it is not used here.
 */
export class FastCounter {
  private readonly dims: LabelSlots[];
  private readonly totals: Float64Array;
  private readonly stride: number;

  constructor(registry: Registry, name: string, help: string, dims: readonly LabelDimension[] = []) {
    if (dims.length > 2) throw new Error('FastCounter supports up to two labels');
    this.dims = dims.map((d) => new LabelSlots(d));
    this.stride = this.dims[1]?.size ?? 1;
    this.totals = new Float64Array((this.dims[0]?.size ?? 1) * this.stride);
    const self = this;
    new Counter({
      name,
      help,
      labelNames: this.dims.map((d) => d.name),
      registers: [registry],
      collect() {
        this.reset();
        self.export((labels, value) => this.inc(labels, value));
      },
    });
  }

  /** No labels. */
  add(n = 1): void {
    this.totals[0]! += n;
  }

  add1(a: string, n = 1): void {
    this.totals[this.dims[0]!.slot(a)]! += n;
  }

  add2(a: string, b: string, n = 1): void {
    this.totals[this.dims[0]!.slot(a) * this.stride + this.dims[1]!.slot(b)]! += n;
  }

  /** Current total of one series, for tests and logs. */
  value(...labels: string[]): number {
    let i = 0;
    if (labels[0] !== undefined) i = this.dims[0]!.slot(labels[0]) * this.stride;
    if (labels[1] !== undefined) i += this.dims[1]!.slot(labels[1]);
    return this.totals[i]!;
  }

  private export(emit: (labels: Record<string, string>, value: number) => void): void {
    const [d0, d1] = this.dims;
    if (!d0) return emit({}, this.totals[0]!);
    for (let i = 0; i < d0.size; i++) {
      for (let j = 0; j < (d1?.size ?? 1); j++) {
        const v = this.totals[i * this.stride + j]!;
        const initial = i < d0.initial && (!d1 || j < d1.initial);
        if (!initial && v === 0) continue;
        const labels: Record<string, string> = { [d0.name]: d0.names[i]! };
        if (d1) labels[d1.name] = d1.names[j]!;
        emit(labels, v);
      }
    }
  }
}
