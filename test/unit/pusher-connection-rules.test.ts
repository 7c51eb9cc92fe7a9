import assert from 'node:assert/strict';
import Pusher from 'pusher';
import { describe, it } from 'vitest';
import { parsePusherApp } from '../../src/config/pusher-apps/parse-pusher-app.js';
import { ActivityClock } from '../../src/transport/pusher/activity-clock.js';
import { checkSubscription } from '../../src/transport/pusher/subscription-check.js';

const creds = { id: '1', key: 'k1', secret: 's1' };
const app = parsePusherApp({ ...creds, max_presence_member_size_in_kb: 1 }, 'test').app;
const sdk = new Pusher({ appId: creds.id, key: creds.key, secret: creds.secret, host: '127.0.0.1' });
const SOCKET = '123.456';

describe('which subscriptions a connection may make', () => {
  it('lets anyone subscribe to public and cache channels, and follow a room through room.{room}', () => {
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'news', auth: null, channelData: null }), { ok: true, kind: 'public', cache: false });
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'cache-prices', auth: null, channelData: null }), { ok: true, kind: 'public', cache: true });
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'room.demo', auth: null, channelData: null }), { ok: true, kind: 'public', cache: false, room: 'demo' });
  });

  it('refuses names outside the rules, and room channels whose room name is invalid', () => {
    for (const channel of ['', 'a b', 'x'.repeat(165), 'nö']) {
      assert.deepEqual(checkSubscription(app, SOCKET, null, { channel, auth: null, channelData: null }), { ok: false, error: 'BAD_CHANNEL_NAME' }, channel);
    }
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'room.Demo', auth: null, channelData: null }), { ok: false, error: 'BAD_ROOM_CHANNEL' });
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'presence-room.', auth: null, channelData: null }), { ok: false, error: 'BAD_ROOM_CHANNEL' });
  });

  it('takes a private channel only with the signature of this socket and channel, made with the app secret', () => {
    const { auth } = sdk.authorizeChannel(SOCKET, 'private-orders');
    assert.equal(checkSubscription(app, SOCKET, null, { channel: 'private-orders', auth, channelData: null }).ok, true);
    assert.deepEqual(checkSubscription(app, '999.1', null, { channel: 'private-orders', auth, channelData: null }), { ok: false, error: 'AUTH_FAILED' }, 'another socket');
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'private-other', auth, channelData: null }), { ok: false, error: 'AUTH_FAILED' }, 'another channel');
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'private-orders', auth: null, channelData: null }), { ok: false, error: 'AUTH_FAILED' }, 'no auth');
    const forged = new Pusher({ appId: '1', key: 'k1', secret: 'wrong', host: '127.0.0.1' }).authorizeChannel(SOCKET, 'private-orders').auth;
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'private-orders', auth: forged, channelData: null }), { ok: false, error: 'AUTH_FAILED' }, 'another secret');
    const encrypted = checkSubscription(app, SOCKET, null, { channel: 'private-encrypted-x', auth: sdk.authorizeChannel(SOCKET, 'private-orders').auth, channelData: null });
    assert.deepEqual(encrypted, { ok: false, error: 'AUTH_FAILED' });
  });

  it('takes a presence channel with the exact channel_data signed, and reads the member from it', () => {
    const signed = sdk.authorizeChannel(SOCKET, 'presence-lobby', { user_id: 7 as unknown as string, user_info: { name: 'Ann' } });
    const ok = checkSubscription(app, SOCKET, null, { channel: 'presence-lobby', auth: signed.auth, channelData: signed.channel_data! });
    assert.deepEqual(ok, { ok: true, kind: 'presence', cache: false, presence: { userId: '7', info: '{"name":"Ann"}' } });
    const tampered = signed.channel_data!.replace('Ann', 'Bob');
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'presence-lobby', auth: signed.auth, channelData: tampered }), { ok: false, error: 'AUTH_FAILED' });
    const noId = sdk.authorizeChannel(SOCKET, 'presence-lobby', { user_info: {} } as never);
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'presence-lobby', auth: noId.auth, channelData: noId.channel_data! }), { ok: false, error: 'BAD_CHANNEL_DATA' });
    const big = sdk.authorizeChannel(SOCKET, 'presence-lobby', { user_id: '1', user_info: { bio: 'x'.repeat(1100) } });
    assert.deepEqual(checkSubscription(app, SOCKET, null, { channel: 'presence-lobby', auth: big.auth, channelData: big.channel_data! }), { ok: false, error: 'MEMBER_TOO_LARGE' });
  });

  it('gives a #server-to-user- channel only to the connection signed in as that user', () => {
    const ask = { channel: '#server-to-user-ann', auth: null, channelData: null };
    assert.equal(checkSubscription(app, SOCKET, 'ann', ask).ok, true);
    assert.deepEqual(checkSubscription(app, SOCKET, 'bob', ask), { ok: false, error: 'USER_CHANNEL_FORBIDDEN' });
    assert.deepEqual(checkSubscription(app, SOCKET, null, ask), { ok: false, error: 'USER_CHANNEL_FORBIDDEN' });
  });
});

describe("the server's liveness check of a connection", () => {
  it('pings after a silent interval, and closes with 4201 after another if the client speaks ping but stays silent', () => {
    const clock = new ActivityClock(1000, 0);
    clock.heard(100, true);
    assert.equal(clock.check(1000), 'ok');
    assert.equal(clock.check(1100), 'ping');
    assert.equal(clock.check(1500), 'ok', 'one ping per silence');
    assert.equal(clock.check(2100), 'PONG_NOT_RECEIVED');
  });

  it('closes with 4202 a client that never used ping or pong', () => {
    const clock = new ActivityClock(1000, 0);
    clock.heard(50, false);
    assert.equal(clock.check(1050), 'ping');
    assert.equal(clock.check(2050), 'INACTIVE');
  });

  it('starts over whenever the client sends anything', () => {
    const clock = new ActivityClock(1000, 0);
    assert.equal(clock.check(1000), 'ping');
    clock.heard(1500, false);
    assert.equal(clock.check(2400), 'ok');
    assert.equal(clock.check(2500), 'ping');
  });
});
