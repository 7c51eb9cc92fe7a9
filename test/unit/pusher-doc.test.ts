import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { APP_FIELD_ALIASES, IGNORED_APP_FIELDS } from '../../src/config/pusher-apps/parse-pusher-app.js';
import { PusherAuthErrors, PusherErrorCodes, PusherSubscriptionErrors, pusherCloseAction } from '../../src/protocol/pusher/codes.js';

const doc = readFileSync(new URL('../../docs/pusher.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  assert.ok(start >= 0, `docs/pusher.md has a "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => /^\|\s*`[A-Za-z0-9_]+`\s*\|/.test(l))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
}

const unquote = (s: string): string => s.replace(/`/g, '');

test('every close and error code is documented with its number, whether it closes and what pusher-js does, and nothing else is', () => {
  const documented = rows(section('Close and error codes'));
  assert.deepEqual(documented.map((r) => r[0]).sort(), Object.keys(PusherErrorCodes).sort());
  for (const [name, code, closes, action, meaning] of documented) {
    const e = PusherErrorCodes[name as keyof typeof PusherErrorCodes];
    assert.equal(Number(code), e.code, `code of ${name}`);
    assert.equal(closes, e.closes ? 'yes' : 'no', `closes of ${name}`);
    assert.equal(action, pusherCloseAction(e.code), `pusher-js action of ${name}`);
    assert.equal(unquote(meaning!).replace(/ \(.*\)$/, ''), e.message.replace(/`/g, ''), `meaning of ${name}`);
  }
});

test('every subscription error is documented with its type and status, and nothing else is', () => {
  const documented = rows(section('Subscription errors'));
  assert.deepEqual(documented.map((r) => r[0]).sort(), Object.keys(PusherSubscriptionErrors).sort());
  for (const [name, type, status] of documented) {
    const e = PusherSubscriptionErrors[name as keyof typeof PusherSubscriptionErrors];
    assert.equal(type, e.type, `type of ${name}`);
    assert.equal(Number(status), e.status, `status of ${name}`);
  }
});

test('every error of the room channels\' auth endpoint is documented with its status and message, and nothing else is', () => {
  const documented = rows(section('Rooms are channels').slice(section('Rooms are channels').indexOf('### Auth endpoint errors')));
  assert.deepEqual(documented.map((r) => r[0]).sort(), Object.keys(PusherAuthErrors).sort());
  for (const [name, status, meaning] of documented) {
    const e = PusherAuthErrors[name as keyof typeof PusherAuthErrors];
    assert.equal(Number(status), e.status, `status of ${name}`);
    assert.equal(meaning, e.message, `message of ${name}`);
  }
});

test('every app field spelling the parser accepts or ignores is documented', () => {
  const apps = section('Apps');
  for (const names of Object.values(APP_FIELD_ALIASES)) {
    for (const n of names) assert.ok(apps.includes(`\`${n}\``), `${n} in the Apps section`);
  }
  for (const n of Object.keys(IGNORED_APP_FIELDS).filter((k) => /^[a-z]/.test(k) && /[A-Z]/.test(k))) {
    assert.ok(apps.includes(`\`${n}\``), `ignored ${n} in the Apps section`);
  }
});

test('the documented close-code ranges are those of pusher-js', () => {
  assert.match(section('Close and error codes'), /4000–4099 it does not\s+reconnect \(`refused`\), 4100–4199 it reconnects after a back-off \(`backoff`\), 4200–4299 at once\s+\(`retry`\), 4300 and above it does not reconnect/);
  for (const [code, action] of [[4001, 'refused'], [4099, 'refused'], [4100, 'backoff'], [4199, 'backoff'], [4200, 'retry'], [4299, 'retry'], [4300, 'refused']] as const) {
    assert.equal(pusherCloseAction(code), action, String(code));
  }
});
