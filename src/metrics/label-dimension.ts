/**
 * One label of a metric, with a small fixed set of values so series stay bounded.
 * `values` are exported from the start (at 0), so rate() and dashboards see them before the
 * first event. `accept` are further known values, exported once seen. Up to `learn` values
 * nobody listed are taken as they come (e.g. reasons another module reports); anything beyond
 * that is counted as "other". Lookups are a Map get: no allocation on the hot path.
 */
export interface LabelDimension {
  name: string;
  values: readonly string[];
  accept?: readonly string[];
  learn?: number;
}

export const OTHER = 'other';

/** Maps label values to slot indexes 0..size-1; the last slot is "other". */
export class LabelSlots {
  readonly name: string;
  readonly size: number;
  /** Value of each slot; learned slots are filled in when first seen. */
  readonly names: string[];
  /** Slots exported even at 0. */
  readonly initial: number;
  private readonly index = new Map<string, number>();
  private learned = 0;
  private readonly learnable: number;
  private readonly other: number;

  constructor(dim: LabelDimension) {
    this.name = dim.name;
    const known = [...new Set([...dim.values, ...(dim.accept ?? [])])];
    this.initial = dim.values.length;
    this.learnable = dim.learn ?? 0;
    this.size = known.length + this.learnable + 1;
    this.other = this.size - 1;
    this.names = [...known, ...Array<string>(this.learnable).fill(''), OTHER];
    known.forEach((v, i) => this.index.set(v, i));
  }

  slot(value: string): number {
    const i = this.index.get(value);
    if (i !== undefined) return i;
    if (this.learned < this.learnable && value !== OTHER) {
      const at = this.size - 1 - this.learnable + this.learned++;
      this.names[at] = value;
      this.index.set(value, at);
      return at;
    }
    return this.other;
  }
}
