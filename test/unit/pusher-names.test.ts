import assert from 'node:assert/strict';
import { test } from 'vitest';
import { MAX_CHANNEL_NAME_LENGTH, classifyChannel, isValidChannelName, serverToUserChannel } from '../../src/protocol/pusher/channel-name.js';
import { classifyEventName, isClientEventName, isTriggerableEventName } from '../../src/protocol/pusher/event-name.js';

test('the prefix at the start of a name decides its kind, longest prefix first', () => {
  const cases: [string, string, boolean, boolean][] = [
    ['news', 'public', false, false],
    ['cache-news', 'public', true, false],
    ['private-orders', 'private', false, true],
    ['private-cache-orders', 'private', true, true],
    ['private-encrypted-orders', 'encrypted', false, true],
    ['private-encrypted-cache-orders', 'encrypted', true, true],
    ['presence-room', 'presence', false, true],
    ['presence-cache-room', 'presence', true, true],
  ];
  for (const [name, kind, cache, needsAuth] of cases) {
    assert.deepEqual(classifyChannel(name), { ok: true, kind, cache, needsAuth }, name);
  }
});

test('prefixes count only at the very start of the name', () => {
  for (const name of ['my-private-notes', 'xprivate-a', 'public-presence-a', 'no-cache-here', 'Private-a', 'PRESENCE-a', 'room.private-a']) {
    assert.deepEqual(classifyChannel(name), { ok: true, kind: 'public', cache: false, needsAuth: false }, name);
  }
});

test('a bare prefix is a valid name of that kind (as on Pusher)', () => {
  assert.equal((classifyChannel('private-') as { kind: string }).kind, 'private');
  assert.equal((classifyChannel('presence-') as { kind: string }).kind, 'presence');
});

test('names are at most 164 characters, prefix included', () => {
  const longest = 'presence-' + 'a'.repeat(MAX_CHANNEL_NAME_LENGTH - 'presence-'.length);
  assert.equal(MAX_CHANNEL_NAME_LENGTH, 164);
  assert.equal(longest.length, 164);
  assert.ok(isValidChannelName(longest));
  assert.deepEqual(classifyChannel(longest + 'a'), { ok: false, reason: 'too_long' });
  assert.deepEqual(classifyChannel(''), { ok: false, reason: 'empty' });
});

test('names use only A-Z a-z 0-9 and _ - = @ , . ;', () => {
  assert.ok(isValidChannelName('Aa09_-=@,.;'));
  assert.ok(isValidChannelName('room.demo'));
  for (const bad of ['a b', 'a/b', 'a:b', 'a#b', 'a*b', 'a+b', 'a%20', 'é', 'a\nb', 'room\u0000', '#channel']) {
    assert.deepEqual(classifyChannel(bad), { ok: false, reason: 'bad_characters' }, JSON.stringify(bad));
  }
});

test('#server-to-user- channels are reserved to the user they name', () => {
  assert.deepEqual(classifyChannel('#server-to-user-42'), { ok: true, kind: 'server-to-user', cache: false, needsAuth: false, userId: '42' });
  assert.deepEqual(classifyChannel('#server-to-user-'), { ok: false, reason: 'empty' });
  assert.deepEqual(classifyChannel('#server-to-user-a b'), { ok: false, reason: 'bad_characters' });
  assert.equal(serverToUserChannel('ada@example.org'), '#server-to-user-ada@example.org');
  assert.equal(serverToUserChannel('a+b'), null);
  assert.deepEqual(classifyChannel('#server-to-userX'), { ok: false, reason: 'bad_characters' });
});

test('clients may send only client- events; pusher: and pusher_internal: belong to the protocol', () => {
  assert.equal(classifyEventName('client-typing'), 'client');
  assert.equal(classifyEventName('pusher:subscribe'), 'protocol');
  assert.equal(classifyEventName('pusher_internal:member_added'), 'protocol');
  assert.equal(classifyEventName('order-shipped'), 'server');
  assert.ok(isClientEventName('client-typing'));
  assert.ok(!isClientEventName('client-'));
  assert.ok(!isClientEventName('Client-typing'));
  assert.ok(!isClientEventName('typing'));
  assert.ok(!isClientEventName('client-' + 'x'.repeat(194)));
  assert.ok(isClientEventName('client-' + 'x'.repeat(193)));
});

test('the HTTP API may trigger any event name but the protocol\'s own', () => {
  assert.ok(isTriggerableEventName('order-shipped'));
  assert.ok(isTriggerableEventName('App\\Events\\OrderShipped'));
  assert.ok(isTriggerableEventName('client-from-server'));
  assert.ok(!isTriggerableEventName('pusher:connection_established'));
  assert.ok(!isTriggerableEventName('pusher_internal:subscription_succeeded'));
  assert.ok(!isTriggerableEventName(''));
  assert.ok(!isTriggerableEventName('x'.repeat(201)));
});
