import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ERROR_INTERVAL_MS } from '../../src/core/error-reporter.js';
import { WAITING_ROOM_CHAT } from '../../src/core/room.js';
import { MAX_STRIKES, RATE_GRACE, STRIKE_WINDOW_MS } from '../../src/core/strikes.js';
import { MAX_JPEG_MARKERS } from '../../src/core/strip-jpeg-metadata.js';
import { MAX_TOKEN_LENGTH, MAX_TOKEN_TTL_SECONDS } from '../../src/core/viewer-token.js';
import { MAX_SLOW_MODE_SECONDS } from '../../src/protocol/index.js';
import { CloseCodes, ErrorCodes, REQUEST_COSTS, ROOM_NAME_PATTERN } from '../../src/protocol/index.js';

const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
const fields = Object.values(configSchema);
const byEnv = new Map<string, (typeof fields)[number]>(fields.map((f) => [f.env, f]));

function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/security.md has a "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Rows of every table in the section: limit, setting, default, past it (backticks kept). */
function limitRows(): { limit: string; setting: string; value: string }[] {
  return section('Limits')
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| limit |'))
    .map((l) => {
      const [limit, setting, value] = l.split(' | ').map((c) => c.replace(/^\| /, '').trim());
      return { limit: limit!, setting: setting!, value: value! };
    });
}

const unquote = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1] ?? cell;

/** How docs/configuration.md writes a default (scripts/config-doc.ts). */
const rendered = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

// Limits that are constants of the code, by the wording of their row.
const FIXED: Record<string, string> = {
  'chat kept by a room nobody has been live in': `${WAITING_ROOM_CHAT} messages`,
  'room names': '1–64 chars of a-z, 0-9, _ and -',
  'display name characters: no control, format (bidi, zero-width), separator, private-use or blank characters': 'checkName',
  'WebSocket handshake version': '13',
  'request costs': `history ${REQUEST_COSTS.history}, quality ${REQUEST_COSTS.quality}, ping ${REQUEST_COSTS.ping}, encoding ${REQUEST_COSTS.encoding}`,
  'tier frame picture': "no wider than the tier or the source, no taller than the source's shape",
  'cached frame on a tier switch': 'only with no unsent video',
  'JPEG markers outside scan data': String(MAX_JPEG_MARKERS),
  '`error` messages per code': `1 a ${ERROR_INTERVAL_MS === 1000 ? 'second' : `${ERROR_INTERVAL_MS} ms`}`,
  'over-rate messages forgiven': `${RATE_GRACE} within ${STRIKE_WINDOW_MS / 1000} s`,
  'strikes (invalid messages, and over-rate ones past the grace)': `${MAX_STRIKES} within ${STRIKE_WINDOW_MS / 1000} s`,
  'MJPEG parts a client holds': '1',
  'longest validity of a viewer token': `${MAX_TOKEN_TTL_SECONDS / 86400} days`,
  'characters of a viewer token': String(MAX_TOKEN_LENGTH),
  'seconds of slow mode a room may be set to': String(MAX_SLOW_MODE_SECONDS),
};

// Every setting that bounds what a client may cost, or who may connect, has a row.
const LIMIT_SETTING = /^(MAX_|CHAT_|REQUEST_|HISTORY_|HTTP_|WS_MAX_|VIDEO_MAX_)|^(IDLE_TIMEOUT|ROOM_TTL|ALLOWED_ORIGINS|FRAME_ANCESTORS)$/;

test('every setting in the limit tables exists in the schema, with the default the schema gives it', () => {
  const named = limitRows().filter((r) => r.setting !== 'fixed');
  assert.ok(named.length > 20, 'the tables were found');
  for (const r of named) {
    const env = unquote(r.setting);
    const f = byEnv.get(env);
    assert.ok(f, `${env} (row "${r.limit}") is a setting of src/config/schema.ts`);
    assert.equal(unquote(r.value), rendered(f.default), `default of ${env}`);
  }
});

test('every limit setting of the schema has a row in the limit tables', () => {
  const documented = new Set(limitRows().map((r) => unquote(r.setting)));
  const limits = fields.map((f) => f.env).filter((env) => LIMIT_SETTING.test(env));
  assert.deepEqual(limits.filter((env) => !documented.has(env)), [], 'settings missing from docs/security.md');
});

test('every fixed limit states the value the code uses', () => {
  for (const r of limitRows().filter((row) => row.setting === 'fixed')) {
    assert.ok(Object.hasOwn(FIXED, r.limit), `the test knows the fixed limit "${r.limit}"`);
    assert.equal(r.value.replace(/`/g, ''), FIXED[r.limit], `value of "${r.limit}"`);
  }
  assert.equal(ROOM_NAME_PATTERN.source, '^[a-z0-9][a-z0-9_-]{0,63}$', 'the room name rule the table states');
});

test('every setting, error code and close code the document names exists', () => {
  const prose = doc.replace(/```[\s\S]*?```/g, '');
  const known = new Set<string>([...byEnv.keys(), ...Object.keys(ErrorCodes), ...Object.keys(CloseCodes), 'GRAFANA_ADMIN_PASSWORD']);
  const named = [...prose.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)].map((m) => m[1]!);
  assert.ok(named.length > 40, 'names were found');
  assert.deepEqual([...new Set(named.filter((n) => !known.has(n)))], [], 'unknown names in docs/security.md');
});
