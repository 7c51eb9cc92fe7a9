import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

// Tests may read the environment (the server never does): `npm run fuzz` (scripts/fuzz.ts) sets
// FUZZ_SCALE to run every property longer, FUZZ_REPORT to a file where each property appends
// the cases it ran, and FUZZ_SEED to replay a failure.
const scale = Number(process.env.FUZZ_SCALE ?? '1');
const report = process.env.FUZZ_REPORT;
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** The number of runs of a property whose `npm test` share is `base`. */
export function fuzzRuns(base: number): number {
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** Adds cases run outside fast-check (e.g. messages of the live-server fuzz) to the report. */
export function record(name: string, runs: number): void {
  if (report) appendFileSync(report, `${JSON.stringify({ name, runs })}\n`);
}

/** Runs a synchronous property `fuzzRuns(base)` times; a failure reports the seed and the shrunk case. */
export function fuzz<Ts>(name: string, property: fc.IProperty<Ts>, base: number): void {
  const numRuns = fuzzRuns(base);
  fc.assert(property, { numRuns, seed });
  record(name, numRuns);
}

export async function fuzzAsync<Ts>(name: string, property: fc.IAsyncProperty<Ts>, base: number): Promise<void> {
  const numRuns = fuzzRuns(base);
  await fc.assert(property, { numRuns, seed });
  record(name, numRuns);
}

/** Byte-level mutations of a valid message: overwrite, insert, delete and truncate. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 6 })).map(([bytes, edits]) => {
    let b = Array.from(bytes);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % (b.length + (e.kind === 'insert' ? 1 : 0));
      if (e.kind === 'set' && b.length > 0) b[at] = e.value;
      else if (e.kind === 'insert') b.splice(at, 0, e.value);
      else if (e.kind === 'delete') b.splice(at, 1);
      else if (e.kind === 'cut') b = b.slice(0, at);
    }
    return Uint8Array.from(b);
  });
}

/** `bytes` at a non-zero offset in a larger buffer, as uWS hands messages over: catches offset bugs. */
export function atOffset(bytes: Uint8Array, offset: number): Uint8Array {
  const big = new Uint8Array(offset + bytes.length + 3).fill(0xff);
  big.set(bytes, offset);
  return big.subarray(offset, offset + bytes.length);
}
