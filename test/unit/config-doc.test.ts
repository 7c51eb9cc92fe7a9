import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { renderConfigDoc } from '../../scripts/config-doc.js';

test('docs/configuration.md is generated from the schema and up to date (npm run docs:config)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, renderConfigDoc());
});
