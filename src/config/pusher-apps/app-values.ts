// Value readers for app entries. They accept what soketi and Reverb files contain (numbers and
// booleans may arrive as strings from env() or SQL rows) and throw an Error whose message
// completes "<field> must be ..."; field() turns that into a ConfigError naming the field.

import { ConfigError } from '../load-config.js';

export type Where = string;

export function field<T>(where: Where, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Invalid configuration: ${where} ${(err as Error).message}`);
  }
}

const got = (v: unknown): string => `, got ${JSON.stringify(v) ?? String(v)}`;

/** `secret`: the value is never repeated in the message (it would end up in a log). */
export function text(v: unknown, opts: { pattern: RegExp; what: string; allowNumber?: boolean; secret?: boolean }): string {
  const shown = v === undefined ? ' (missing)' : opts.secret ? '' : got(v);
  let s: string;
  if (typeof v === 'string') s = v;
  else if (opts.allowNumber && typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) s = String(v);
  else throw new Error(`must be ${opts.what}${shown}`);
  if (!opts.pattern.test(s)) throw new Error(`must be ${opts.what}${shown}`);
  return s;
}

export function toBool(v: unknown): boolean {
  if (v === true || v === 1 || v === 'true' || v === '1') return true;
  if (v === false || v === 0 || v === 'false' || v === '0') return false;
  throw new Error(`must be true or false${got(v)}`);
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return Number.NaN;
}

export function integer(v: unknown, min: number, max: number): number {
  const n = toNumber(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}${got(v)}`);
  return n;
}

/** null or -1 (soketi's "unlimited"): no limit; otherwise an integer from 1 to max. */
export function limitOrNull(v: unknown, max: number): number | null {
  if (v === null || toNumber(v) === -1) return null;
  const n = toNumber(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new Error(`must be an integer from 1 to ${max}, or null or -1 for no limit${got(v)}`);
  }
  return n;
}

/** A size in KB (soketi's unit, fractions allowed), returned in bytes. */
export function kilobytes(v: unknown, maxKb: number): number {
  const n = toNumber(v);
  if (!Number.isFinite(n) || n <= 0 || n > maxKb) throw new Error(`must be a number of KB above 0 and at most ${maxKb}${got(v)}`);
  return Math.max(1, Math.round(n * 1024));
}
