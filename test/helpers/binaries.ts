import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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
 * `false` when the binary is installed, else the reason to skip, for node:test's `skip` option.
 * CI installs every one of these (.ci/run), so there the tests always run.
 */
export function skipWithout(name: string, debianPackage: string): false | string {
  return findBinary(name) ? false : `${name} is not installed (Debian package ${debianPackage}; .ci/run installs it)`;
}
