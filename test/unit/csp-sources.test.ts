import assert from 'node:assert/strict';
import { test } from 'vitest';
import { parseCspSources } from '../../src/config/csp-sources.js';

test('FRAME_ANCESTORS takes keywords with or without quotes, schemes and origins', () => {
  assert.deepEqual(parseCspSources('self'), ["'self'"]);
  assert.deepEqual(parseCspSources("'none'"), ["'none'"]);
  assert.deepEqual(parseCspSources("'self' https://example.org, https://*.example.net:8443 https:"), [
    "'self'",
    'https://example.org',
    'https://*.example.net:8443',
    'https:',
  ]);
});

test('FRAME_ANCESTORS refuses anything that could break out of the header or means nothing', () => {
  for (const bad of ['', "self; script-src 'unsafe-inline'", "'unsafe-inline'", 'https://a.org"', 'none self', 'https://a.org/;x', 'https://a.org/?q=1']) {
    assert.throws(() => parseCspSources(bad), /must/, JSON.stringify(bad));
  }
});
