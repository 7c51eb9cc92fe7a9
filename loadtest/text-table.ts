// Plain-text figures and tables for the reports.

/** A number with fixed digits, or n/a. */
export const fixed = (v: number | null | undefined, digits = 1): string => (v == null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
export const pct = (v: number, digits = 2): string => `${(v * 100).toFixed(digits)}%`;

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}
