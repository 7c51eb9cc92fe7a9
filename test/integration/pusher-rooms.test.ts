// Rooms as Pusher channels: room.{room} follows a room's chat, live state and viewer count;
// presence-room.{room} lists who follows it (signed by POST /pusher/auth); a `chat` event
// triggered onto room.{room} is posted into the room's chat.
import assert from 'node:assert/strict';
import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { waitFor } from '../helpers/free-port.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { APP, connected, once, pusherClient, sdkFor, startPusherServer, testApp } from '../helpers/pusher-server.js';
import type { TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const OTHER = { id: 'other', key: 'other-key', secret: 'other-secret' };
let server: TestServer;
let sdk: Pusher;
const clients: PusherJs[] = [];
const natives: TestClient[] = [];

const follower = (params: Record<string, string> = {}) => {
  const c = pusherClient(server, { authEndpoint: server.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, ...params } });
  clients.push(c);
  return c;
};
const native = async (room: string, query: Record<string, string | number> = {}) => {
  const c = await TestClient.connect(server.wsUrl(room, query));
  natives.push(c);
  await c.nextText('history');
  return c;
};
const recorder = (ch: { bind(e: string, cb: (d: unknown) => void): unknown }, event: string) => {
  const got: unknown[] = [];
  ch.bind(event, (d) => got.push(d));
  return got;
};
const viewersOf = async (room: string) => ((await (await fetch(server.httpUrl(`/api/rooms/${room}`))).json()) as { viewers: number }).viewers;

beforeAll(async () => {
  server = await startPusherServer([testApp(), testApp({}, OTHER)]);
  sdk = sdkFor(server);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(natives.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.stop();
});

describe('room.{room}', () => {
  it("follows a room's chat, live state and viewer count while native viewers chat, without counting as a viewer", async () => {
    const cam = await server.broadcaster('stage');
    natives.push(cam);
    const f = follower();
    const ch = f.subscribe('room.stage');
    const state = (await once((cb) => ch.bind('state', cb), 5000, 'state')) as { live: boolean; viewers: number; latestId: number; chatEpoch: string };
    assert.equal(state.live, true);
    assert.equal(typeof state.chatEpoch, 'string');
    const chats = recorder(ch, 'chat');
    const viewers = recorder(ch, 'viewers');
    const live = recorder(ch, 'live');
    const ann = await native('stage', { name: 'Ann' });
    ann.send({ type: 'chat', text: 'hello from the page' });
    const sent = await ann.nextText('chat');
    await waitFor(() => chats[0], 3000, 'the chat event');
    assert.deepEqual(chats[0], { id: sent.id, at: sent.at, text: 'hello from the page', from: sent.from });
    await waitFor(() => viewers.find((v) => (v as { viewers: number }).viewers === 1), 3000, 'the viewer count');
    assert.equal(await viewersOf('stage'), 1, 'the follower is not a viewer');
    await cam.close();
    await waitFor(() => live.find((l) => (l as { live: boolean }).live === false), 3000, 'offline');
  });

  it('takes a chat event triggered through the HTTP API into the room: an id, history, native viewers see it from the server', async () => {
    await server.broadcaster('shop').then((c) => natives.push(c));
    const viewer = await native('shop');
    const f = follower();
    const ch = f.subscribe('room.shop');
    await once((cb) => ch.bind('state', cb));
    const chats = recorder(ch, 'chat');
    const res = await sdk.trigger('room.shop', 'chat', { text: 'Sale starts now', name: 'Shop' });
    assert.equal(res.status, 200);
    const msg = await viewer.nextText('chat');
    assert.deepEqual([msg.text, msg.from.name, msg.from.role, msg.from.id], ['Sale starts now', 'Shop', 'server', 'server']);
    assert.ok(msg.id >= 1);
    await waitFor(() => chats[0], 3000, 'the follower to get it');
    assert.equal((chats[0] as { id: number }).id, msg.id);
    const late = await TestClient.connect(server.wsUrl('shop', { since: msg.id - 1 }));
    natives.push(late);
    await late.nextText('welcome');
    assert.deepEqual((await late.nextText('history')).messages.map((m) => m.text), ['Sale starts now'], 'recovered like any message');
  });

  it('relays other events triggered onto it as they are, and refuses bad chat events and unknown rooms', async () => {
    await server.broadcaster('news').then((c) => natives.push(c));
    const f = follower();
    const ch = f.subscribe('room.news');
    await once((cb) => ch.bind('state', cb));
    const promo = once((cb) => ch.bind('promo', cb));
    await sdk.trigger('room.news', 'promo', { off: 10 });
    assert.deepEqual(await promo, { off: 10 });
    const status = async (p: Promise<unknown>) => p.then(() => 200, (e: { status: number }) => e.status);
    assert.equal(await status(sdk.trigger('room.news', 'chat', { text: '   ' })), 400);
    assert.equal(await status(sdk.trigger('room.news', 'chat', { text: 'x'.repeat(501) })), 400);
    assert.equal(await status(sdk.trigger('room.news', 'chat', 'not json')), 400);
    assert.equal(await status(sdk.trigger('room.never-live', 'chat', { text: 'hi' })), 404);
    assert.equal(await status(sdk.trigger('room.Bad', 'chat', { text: 'hi' })), 400);
  });

  it('refuses a room channel whose room name is invalid', async () => {
    const f = follower();
    const ch = f.subscribe('room.Not_Valid');
    const err = (await once((cb) => ch.bind('pusher:subscription_error', cb))) as { type: string; status: number };
    assert.deepEqual([err.type, err.status], ['InvalidChannel', 400]);
  });
});

describe('presence-room.{room} and POST /pusher/auth', () => {
  it('lists the clients following the room, with the names they gave, signed by beamcast', async () => {
    const ann = follower({ name: 'Ann' });
    const ach = ann.subscribe('presence-room.lounge');
    await once((cb) => ach.bind('pusher:subscription_succeeded', cb), 5000, 'ann subscribed');
    const joined = once<{ id: string; info: { name: string; color: string } }>((cb) => ach.bind('pusher:member_added', cb));
    const bob = follower({ name: 'Bob', user_id: 'bob-1' });
    const bch = bob.subscribe('presence-room.lounge');
    await once((cb) => bch.bind('pusher:subscription_succeeded', cb));
    const members = (bch as unknown as { members: { count: number; me: { id: string; info: { name: string } } } }).members;
    assert.deepEqual([members.count, members.me.id, members.me.info.name], [2, 'bob-1', 'Bob']);
    const m = await joined;
    assert.deepEqual([m.id, m.info.name], ['bob-1', 'Bob']);
    assert.match(m.info.color, /^hsl\(/);
  });

  it('signs room presence channels only, for a valid socket id and name, and needs the app when several are served', async () => {
    const c = follower();
    const socketId = await connected(c);
    const post = async (fields: Record<string, string>) => {
      const res = await fetch(server.httpUrl('/pusher/auth'), { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      return [res.status, ((await res.json()) as { error?: string }).error ?? 'ok'];
    };
    const base = { socket_id: socketId, channel_name: 'presence-room.lounge', app_key: APP.key };
    assert.deepEqual(await post(base), [200, 'ok']);
    assert.deepEqual(await post({ ...base, channel_name: 'private-orders' }), [403, 'NOT_A_ROOM_CHANNEL']);
    assert.deepEqual(await post({ ...base, channel_name: 'presence-room.Bad' }), [403, 'NOT_A_ROOM_CHANNEL']);
    assert.deepEqual(await post({ ...base, socket_id: 'abc' }), [400, 'BAD_AUTH_REQUEST']);
    assert.deepEqual(await post({ ...base, name: 'a\u202eb' }), [400, 'BAD_USER']);
    assert.deepEqual(await post({ ...base, user_id: 'has space' }), [400, 'BAD_USER']);
    assert.deepEqual(await post({ ...base, app_key: 'nope' }), [404, 'APP_NOT_FOUND']);
    const { app_key: _, ...noApp } = base;
    assert.deepEqual(await post(noApp), [400, 'APP_KEY_REQUIRED']);
    const json = await fetch(server.httpUrl('/pusher/auth'), { method: 'POST', body: JSON.stringify({ ...base, app_key: OTHER.key }), headers: { 'content-type': 'application/json' } });
    const signed = (await json.json()) as { auth: string; channel_data: string };
    assert.ok(signed.auth.startsWith(`${OTHER.key}:`), 'signed with the app named');
    const mine = new Pusher({ appId: OTHER.id, key: OTHER.key, secret: OTHER.secret, host: '127.0.0.1' }).authorizeChannel(socketId, 'presence-room.lounge', JSON.parse(signed.channel_data) as never);
    assert.equal(signed.auth, mine.auth, 'the signature the SDK makes for the same channel_data');
  });
});

describe('POST /pusher/auth from browsers of other sites', () => {
  it("answers the app's allowed origins with CORS headers and refuses others", async () => {
    const s = await startPusherServer([testApp({ allowed_origins: ['https://shop.example.org'] })]);
    try {
      const c = pusherClient(s);
      clients.push(c);
      const socketId = await connected(c);
      const post = (origin: string) =>
        fetch(s.httpUrl('/pusher/auth'), { method: 'POST', body: new URLSearchParams({ socket_id: socketId, channel_name: 'presence-room.lounge' }), headers: { origin } });
      const ok = await post('https://shop.example.org');
      assert.deepEqual([ok.status, ok.headers.get('access-control-allow-origin')], [200, 'https://shop.example.org'], 'the only app is the default');
      const other = await post('https://evil.example.com');
      assert.deepEqual([other.status, ((await other.json()) as { error: string }).error], [403, 'ORIGIN_NOT_ALLOWED']);
      const pre = await fetch(s.httpUrl('/pusher/auth'), { method: 'OPTIONS', headers: { origin: 'https://shop.example.org', 'access-control-request-method': 'POST' } });
      assert.deepEqual([pre.status, pre.headers.get('access-control-allow-origin')], [204, 'https://shop.example.org']);
    } finally {
      for (const c of clients.splice(0)) c.disconnect();
      await s.stop();
    }
  });
});
