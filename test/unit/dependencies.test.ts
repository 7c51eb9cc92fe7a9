import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { test } from 'vitest';
import { ROOT } from '../helpers/ensure-built.js';

const readJson = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;

test('every locked package runs on the oldest Node that package.json and the README promise', () => {
  const pkg = readJson('package.json') as { engines: { node: string } };
  const oldest = semver.minVersion(pkg.engines.node);
  assert.ok(oldest, `engines.node ${pkg.engines.node} has a minimum`);
  const lock = readJson('package-lock.json') as { packages: Record<string, { version?: string; engines?: unknown }> };
  // What npm install warns about (EBADENGINE) on that Node: a dependency that does not claim to run there.
  const refusing = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && typeof (p.engines as { node?: unknown } | undefined)?.node === 'string')
    .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node))
    .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(refusing, [], `on Node ${oldest.version}`);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`Node ${oldest.major}\\.${oldest.minor} or newer`), 'the README names the same minimum');
});
