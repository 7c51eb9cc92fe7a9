import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

// Debian puts nginx in /usr/sbin, which is not on every user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin'];

/** Absolute path of an executable on PATH (or the usual system dirs), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * `false` when the binary is installed, else the reason to skip (see `itNeeding`).
 * CI installs every one of these (.ci/run), so there the tests always run.
 */
export function skipWithout(name: string, debianPackage: string): false | string {
  return findBinary(name) ? false : `${name} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
}

/** `it`, or, when `reason` is a string, a skipped test that shows the reason in the report. */
export function itNeeding(reason: false | string, name: string, fn: () => unknown): void {
  if (reason) it(name, (ctx) => ctx.skip(reason));
  else it(name, fn);
}

/** `describe`, or, when `reason` is a string, one skipped test that shows the reason. */
export function describeNeeding(reason: false | string, name: string, body: () => void): void {
  if (reason) describe(name, () => it('runs only where its tools are installed', (ctx) => ctx.skip(reason)));
  else describe(name, body);
}
