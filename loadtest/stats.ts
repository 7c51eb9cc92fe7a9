// Small, pure statistics helpers for the report. Kept apart from I/O so they can be unit-tested.

/** Nearest-rank quantile of unsorted numbers (q in [0, 1]); 0 for an empty list. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil(q * n));
  return sorted[Math.min(n, rank) - 1]!;
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : 0;
}

/** Events per second; 0 when no time passed. */
export function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/** received / expected, or 1 when nothing was expected. */
export function ratio(received: number, expected: number): number {
  return expected > 0 ? received / expected : 1;
}

/** a / b for the comparison table; null when either side is unknown or b is 0. */
export function relative(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Difference of two CPU readings (seconds), as a share of one core over the wall time. */
export function cpuPercent(cpuSeconds: number, wallSeconds: number): number {
  return wallSeconds > 0 ? (100 * cpuSeconds) / wallSeconds : 0;
}

/** Per-viewer frame counts → frames per second figures. */
export function fpsFigures(counts: ArrayLike<number>, seconds: number): { mean: number; min: number; p1: number } {
  if (counts.length === 0 || seconds <= 0) return { mean: 0, min: 0, p1: 0 };
  let min = Infinity;
  for (let i = 0; i < counts.length; i++) if (counts[i]! < min) min = counts[i]!;
  return { mean: mean(counts) / seconds, min: min / seconds, p1: quantile(counts, 0.01) / seconds };
}
