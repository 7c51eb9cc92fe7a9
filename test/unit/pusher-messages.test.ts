import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { pusherCloseAction } from '../../src/protocol/pusher/codes.js';
import { decodeClientMessage } from '../../src/protocol/pusher/client-messages.js';
import { parseChannelData } from '../../src/protocol/pusher/presence-member.js';
import {
  PING,
  PONG,
  cacheMiss,
  channelEvent,
  connectionEstablished,
  memberAdded,
  memberRemoved,
  presenceSubscriptionSucceeded,
  pusherError,
  signinSuccess,
  subscriptionCount,
  subscriptionError,
  subscriptionSucceeded,
} from '../../src/protocol/pusher/server-messages.js';
import { parseUserData } from '../../src/protocol/pusher/signin-user.js';
import { SOCKET_ID_PATTERN, isSocketId, newSocketId } from '../../src/transport/pusher/socket-id.js';
import { pusherJsProtocol } from '../helpers/pusher-js-source.js';

const asEvent = (data: string) => ({ data });

describe('server messages, read by pusher-js\'s own Protocol module', () => {
  test('pusherCloseAction agrees with pusher-js getCloseAction for every code from 1000 to 4999', async () => {
    const p = await pusherJsProtocol();
    for (let code = 1000; code < 5000; code++) assert.equal(pusherCloseAction(code), p.getCloseAction({ code }), String(code));
  });

  test('connection_established completes the handshake with our socket id and activity timeout in ms', async () => {
    const p = await pusherJsProtocol();
    const msg = connectionEstablished('123.456', 30);
    // data is a JSON string inside the JSON envelope, as the protocol documents it.
    assert.equal(typeof JSON.parse(msg).data, 'string');
    assert.deepEqual(p.processHandshake(asEvent(msg)), { action: 'connected', id: '123.456', activityTimeout: 30_000 });
  });

  test('a pusher:error during the handshake makes pusher-js act on its code', async () => {
    const p = await pusherJsProtocol();
    const refused = p.processHandshake(asEvent(pusherError('APP_NOT_FOUND')));
    assert.equal(refused.action, 'refused');
    assert.deepEqual((refused.error as { data: unknown }).data, { code: 4001, message: 'no app has this key' });
    assert.equal(p.processHandshake(asEvent(pusherError('OVER_CAPACITY'))).action, 'backoff');
    assert.equal(p.processHandshake(asEvent(pusherError('SHUTTING_DOWN'))).action, 'retry');
  });

  test('pusher:error about a channel names it and can carry its own message', async () => {
    const p = await pusherJsProtocol();
    const ev = p.decodeMessage(asEvent(pusherError('CLIENT_EVENT_RATE_LIMITED', 'private-a', 'slow down')));
    assert.deepEqual(ev, { event: 'pusher:error', channel: 'private-a', data: { code: 4301, message: 'slow down' } });
  });

  test('ping and pong are the protocol\'s events with empty data', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(p.decodeMessage(asEvent(PING)), { event: 'pusher:ping', channel: undefined, data: {} });
    assert.deepEqual(p.decodeMessage(asEvent(PONG)), { event: 'pusher:pong', channel: undefined, data: {} });
  });

  test('subscription_succeeded decodes to the channel with empty data', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(p.decodeMessage(asEvent(subscriptionSucceeded('chat'))), { event: 'pusher_internal:subscription_succeeded', channel: 'chat', data: {} });
  });

  test('presence subscription_succeeded carries ids, hash and count as pusher-js Members reads them', async () => {
    const p = await pusherJsProtocol();
    const members = new Map<string, unknown>([
      ['1', { name: 'Ada' }],
      ['2', undefined],
      ['__proto__', { name: 'odd id' }],
    ]);
    const ev = p.decodeMessage(asEvent(presenceSubscriptionSucceeded('presence-room', members)));
    const presence = (ev.data as { presence: { ids: string[]; hash: Record<string, unknown>; count: number } }).presence;
    assert.deepEqual(presence.ids, ['1', '2', '__proto__']);
    assert.equal(presence.count, 3);
    assert.ok(Object.hasOwn(presence.hash, '__proto__'), 'an id named __proto__ stays a member');
    assert.deepEqual(presence.hash['1'], { name: 'Ada' });
    assert.equal(presence.hash['2'], null, 'a member without user_info is listed with null');
  });

  test('member_added and member_removed carry user_id (and user_info) in string data', async () => {
    const p = await pusherJsProtocol();
    assert.equal(typeof JSON.parse(memberAdded('presence-a', '7', {})).data, 'string');
    assert.deepEqual(p.decodeMessage(asEvent(memberAdded('presence-a', '7', { name: 'Bo' }))).data, { user_id: '7', user_info: { name: 'Bo' } });
    assert.deepEqual(p.decodeMessage(asEvent(memberRemoved('presence-a', '7'))), { event: 'pusher_internal:member_removed', channel: 'presence-a', data: { user_id: '7' } });
  });

  test('signin_success hands back the signed user_data string, which pusher-js parses itself', async () => {
    const p = await pusherJsProtocol();
    const userData = JSON.stringify({ id: '42', user_info: { name: 'Cy' } });
    const ev = p.decodeMessage(asEvent(signinSuccess(userData)));
    assert.equal(ev.event, 'pusher:signin_success');
    assert.equal((ev.data as { user_data: string }).user_data, userData);
  });

  test('subscription_error carries type, error and status', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(p.decodeMessage(asEvent(subscriptionError('private-x', 'AUTH_FAILED'))), {
      event: 'pusher:subscription_error',
      channel: 'private-x',
      data: { type: 'AuthError', error: 'auth signature missing or invalid', status: 401 },
    });
  });

  test('channel events keep HTTP API data as its string, serialise client data once, and mark presence senders', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(p.decodeMessage(asEvent(channelEvent('news', 'update', '{"headline":"hi"}'))).data, { headline: 'hi' });
    assert.equal(p.decodeMessage(asEvent(channelEvent('news', 'update', 'plain text'))).data, 'plain text');
    assert.deepEqual(p.decodeMessage(asEvent(channelEvent('private-a', 'client-typing', { on: true }))).data, { on: true });
    assert.equal(JSON.parse(channelEvent('private-a', 'client-typing', { on: true })).data, '{"on":true}');
    assert.deepEqual(p.decodeMessage(asEvent(channelEvent('presence-a', 'client-wave', {}, '9'))), {
      event: 'client-wave',
      channel: 'presence-a',
      data: {},
      user_id: '9',
    });
  });

  test('cache_miss and subscription_count name their channel', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(p.decodeMessage(asEvent(cacheMiss('cache-x'))), { event: 'pusher:cache_miss', channel: 'cache-x', data: undefined });
    assert.deepEqual(p.decodeMessage(asEvent(subscriptionCount('news', 12))).data, { subscription_count: 12 });
  });
});

describe('client messages, as pusher-js encodes them', () => {
  test('subscribe to a public channel: pusher-js sends auth "" and no channel_data; both read as null', async () => {
    const p = await pusherJsProtocol();
    const text = p.encodeMessage({ event: 'pusher:subscribe', data: { auth: '', channel_data: undefined, channel: 'news' } });
    assert.deepEqual(decodeClientMessage(text), { ok: true, message: { type: 'subscribe', channel: 'news', auth: null, channelData: null } });
  });

  test('subscribe to a presence channel keeps auth and the exact channel_data string', async () => {
    const p = await pusherJsProtocol();
    const channelData = '{"user_id":"1","user_info":{"name":"Ada"}}';
    const text = p.encodeMessage({ event: 'pusher:subscribe', data: { auth: 'k:abc', channel_data: channelData, channel: 'presence-a' } });
    assert.deepEqual(decodeClientMessage(text), { ok: true, message: { type: 'subscribe', channel: 'presence-a', auth: 'k:abc', channelData } });
  });

  test('unsubscribe, signin, ping, pong and client events decode to their types', async () => {
    const p = await pusherJsProtocol();
    assert.deepEqual(decodeClientMessage(p.encodeMessage({ event: 'pusher:unsubscribe', data: { channel: 'news' } })), {
      ok: true,
      message: { type: 'unsubscribe', channel: 'news' },
    });
    assert.deepEqual(decodeClientMessage(p.encodeMessage({ event: 'pusher:signin', data: { auth: 'k:s', user_data: '{"id":"1"}' } })), {
      ok: true,
      message: { type: 'signin', auth: 'k:s', userData: '{"id":"1"}' },
    });
    assert.deepEqual(decodeClientMessage(p.encodeMessage({ event: 'pusher:ping', data: {} })), { ok: true, message: { type: 'ping' } });
    assert.deepEqual(decodeClientMessage('{"event":"pusher:pong"}'), { ok: true, message: { type: 'pong' } });
    assert.deepEqual(decodeClientMessage(p.encodeMessage({ event: 'client-typing', data: { on: 1 }, channel: 'private-a' })), {
      ok: true,
      message: { type: 'client_event', event: 'client-typing', channel: 'private-a', data: { on: 1 } },
    });
  });

  test('a data field holding the object as a JSON string is accepted', () => {
    const text = JSON.stringify({ event: 'pusher:subscribe', data: JSON.stringify({ channel: 'news' }) });
    assert.deepEqual(decodeClientMessage(text), { ok: true, message: { type: 'subscribe', channel: 'news', auth: null, channelData: null } });
  });

  test('malformed messages are refused with BAD_MESSAGE', () => {
    const badOnes = [
      'not json',
      '[]',
      'null',
      '"pusher:ping"',
      '{"data":{}}',
      '{"event":42}',
      '{"event":"pusher:subscribe"}',
      '{"event":"pusher:subscribe","data":{"channel":7}}',
      '{"event":"pusher:subscribe","data":{"channel":""}}',
      '{"event":"pusher:subscribe","data":"{not json"}',
      '{"event":"pusher:unsubscribe","data":{}}',
      '{"event":"pusher:signin","data":{"auth":"k:s"}}',
      '{"event":"pusher:signin","data":{"auth":"k:s","user_data":{"id":"1"}}}',
      '{"event":"pusher:watchlist","data":{}}',
      '{"event":"pusher_internal:member_added","data":{}}',
      '{"event":"client-typing","data":{}}',
    ];
    for (const text of badOnes) {
      const r = decodeClientMessage(text);
      assert.equal(r.ok, false, text);
      assert.equal(!r.ok && r.error, 'BAD_MESSAGE', text);
    }
  });

  test('auth and channel_data of the wrong type are refused and name the channel', () => {
    for (const data of [{ channel: 'private-a', auth: 5 }, { channel: 'presence-a', auth: 'k:s', channel_data: { user_id: '1' } }]) {
      assert.deepEqual(decodeClientMessage(JSON.stringify({ event: 'pusher:subscribe', data })), { ok: false, error: 'BAD_MESSAGE', channel: data.channel });
    }
  });

  test('application events without the client- prefix are refused as CLIENT_EVENT_NOT_ALLOWED', () => {
    assert.deepEqual(decodeClientMessage('{"event":"order-shipped","channel":"private-a","data":{}}'), {
      ok: false,
      error: 'CLIENT_EVENT_NOT_ALLOWED',
      channel: 'private-a',
    });
    assert.deepEqual(decodeClientMessage('{"event":"client-","channel":"private-a"}'), { ok: false, error: 'CLIENT_EVENT_NOT_ALLOWED', channel: 'private-a' });
    assert.deepEqual(decodeClientMessage(`{"event":"client-${'x'.repeat(200)}","channel":"private-a"}`), {
      ok: false,
      error: 'CLIENT_EVENT_NOT_ALLOWED',
      channel: 'private-a',
    });
  });
});

describe('presence channel_data and sign-in user_data', () => {
  test('channel_data gives the member id as a string, its info and the info size in UTF-8 bytes', () => {
    assert.deepEqual(parseChannelData('{"user_id":"u1","user_info":{"name":"Zoë"}}'), { userId: 'u1', userInfo: { name: 'Zoë' }, userInfoBytes: 15 });
    assert.deepEqual(parseChannelData('{"user_id":10}'), { userId: '10', userInfo: undefined, userInfoBytes: 0 });
    assert.equal(parseChannelData('{"user_id":"x","user_info":"😀"}')!.userInfoBytes, 6);
  });

  test('channel_data without a usable user_id is refused', () => {
    for (const s of ['', 'nope', '[]', '{}', '{"user_id":""}', '{"user_id":1.5}', '{"user_id":true}', `{"user_id":"${'x'.repeat(201)}"}`]) {
      assert.equal(parseChannelData(s), null, s);
    }
  });

  test('user_data needs a non-empty string id, as pusher-js requires', () => {
    assert.deepEqual(parseUserData('{"id":"42","name":"Ada"}'), { id: '42' });
    for (const s of ['{"id":42}', '{"id":""}', '{}', 'x', 'null']) assert.equal(parseUserData(s), null, s);
  });
});

describe('socket ids', () => {
  test('have the form the SDKs check, \\d+.\\d+, and do not repeat', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newSocketId();
      assert.match(id, SOCKET_ID_PATTERN);
      assert.ok(isSocketId(id));
      ids.add(id);
    }
    assert.equal(ids.size, 2000);
    for (const s of ['1.', '.1', '1.2.3', 'a.1', ' 1.2', 42]) assert.equal(isSocketId(s), false, String(s));
  });
});
