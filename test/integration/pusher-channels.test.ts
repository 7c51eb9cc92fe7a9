// Channels through the real clients: pusher-js (v8), Laravel Echo (v2, broadcasters pusher and
// reverb) and the pusher server SDK, against one server.
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { PusherJsModule, type PusherJs } from '../helpers/pusher-js-client.js';
import { APP, AuthEndpoint, connected, once, pusherClient, sdkFor, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { PusherWire } from '../helpers/pusher-wire.js';
import { waitFor } from '../helpers/free-port.js';
import type { TestServer } from '../helpers/test-server.js';

let server: TestServer;
let sdk: Pusher;
let auth: AuthEndpoint;
let authUrl: string;
const clients: PusherJs[] = [];
const echos: Echo<'pusher' | 'reverb'>[] = [];
const wires: PusherWire[] = [];

const client = (opts: Parameters<typeof pusherClient>[1] = {}) => {
  const c = pusherClient(server, { authEndpoint: `${authUrl}/channel-auth`, userAuthEndpoint: `${authUrl}/user-auth`, ...opts });
  clients.push(c);
  return c;
};
const subscribed = async (c: PusherJs, name: string) => {
  const ch = c.subscribe(name);
  await once((cb) => ch.bind('pusher:subscription_succeeded', cb), 5000, `subscribed to ${name}`);
  return ch;
};
/**
 * Everything the server did before this call has reached `ch`: a marker event triggered now
 * arrives after whatever was published before it (one node: published in order).
 */
let markers = 0;
const caughtUp = async (ch: { bind(e: string, cb: (d: unknown) => void): unknown }, channel: string) => {
  const name = `marker-${++markers}`;
  const seen = once((cb) => ch.bind(name, cb), 5000, name);
  await sdk.trigger(channel, name, {});
  await seen;
};
/** Until the server counts this many subscriptions of the channel (it handled joins and leaves). */
const subscriptionsAre = (channel: string, n: number) =>
  waitFor(async () => {
    const info = (await (await sdk.get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } })).json()) as { subscription_count: number };
    return info.subscription_count === n ? true : undefined;
  }, 5000, `${n} subscriptions of ${channel}`);
const wire = async () => {
  const w = await PusherWire.established(server.wsPort, APP.key);
  wires.push(w.wire);
  return w;
};

beforeAll(async () => {
  server = await startPusherServer([testApp({ enable_client_messages: true, max_client_events_per_sec: 5 }), testApp({}, { id: 'quiet', key: 'quiet-key', secret: 'quiet-secret' })]);
  sdk = sdkFor(server);
  auth = new AuthEndpoint(sdk);
  authUrl = await auth.start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const e of echos.splice(0)) e.disconnect();
  await Promise.all(wires.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await auth?.stop();
  await server?.stop();
});

describe('public channels', () => {
  it('deliver events triggered with the SDK to every subscriber but the socket named by socket_id', async () => {
    const [a, b] = [client(), client()];
    const [cha, chb] = [await subscribed(a, 'news'), await subscribed(b, 'news')];
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    cha.bind('headline', (d: unknown) => gotA.push(d));
    chb.bind('headline', (d: unknown) => gotB.push(d));
    const res = await sdk.trigger('news', 'headline', { title: 'hi' }, { socket_id: a.connection.socket_id });
    assert.equal(res.status, 200);
    await sdk.trigger('news', 'headline', { title: 'second' });
    await waitFor(() => (gotA.length + gotB.length === 3 ? true : undefined), 5000, 'three deliveries');
    assert.deepEqual(gotB, [{ title: 'hi' }, { title: 'second' }]);
    assert.deepEqual(gotA, [{ title: 'second' }], 'the excluded socket got only the second event');
  });

  it('give a cache channel\'s new subscriber its last event, or pusher:cache_miss when there is none', async () => {
    const first = client();
    const ch = first.subscribe('cache-prices');
    const miss = once((cb) => ch.bind('pusher:cache_miss', cb), 5000, 'cache miss');
    await miss;
    await sdk.trigger('cache-prices', 'price', { eur: 2 });
    const second = client();
    const ch2 = second.subscribe('cache-prices');
    assert.deepEqual(await once((cb) => ch2.bind('price', cb), 5000, 'the cached event'), { eur: 2 });
  });
});

describe('private and presence channels', () => {
  it("subscribe through the app's auth endpoint (the SDK's authorizeChannel) and receive events", async () => {
    const c = client();
    const ch = await subscribed(c, 'private-orders.7');
    assert.equal(auth.requests.at(-1)!.channel_name, 'private-orders.7');
    const got = once((cb) => ch.bind('shipped', cb));
    await sdk.trigger('private-orders.7', 'shipped', { id: 7 });
    assert.deepEqual(await got, { id: 7 });
  });

  it('refuse a signature made with another secret: subscription_error with status 401', async () => {
    const forger = new AuthEndpoint(new Pusher({ appId: APP.id, key: APP.key, secret: 'not-the-secret', host: '127.0.0.1' }));
    const url = await forger.start();
    try {
      const c = client({ authEndpoint: `${url}/channel-auth` });
      const ch = c.subscribe('private-vault');
      const err = (await once((cb) => ch.bind('pusher:subscription_error', cb), 5000, 'subscription_error')) as { type: string; status: number };
      assert.deepEqual([err.type, err.status], ['AuthError', 401]);
    } finally {
      await forger.stop();
    }
  });

  it("list members across two sockets of one user: member_added for the user's first, member_removed after their last", async () => {
    const watcher = client({ authParams: { user: 'wendy' } });
    const wch = await subscribed(watcher, 'presence-lobby');
    const added: { id: string }[] = [];
    const removed: { id: string }[] = [];
    wch.bind('pusher:member_added', (m: { id: string }) => added.push(m));
    wch.bind('pusher:member_removed', (m: { id: string }) => removed.push(m));
    const ann1 = client({ authParams: { user: 'ann' } });
    const ch1 = (await subscribed(ann1, 'presence-lobby')) as unknown as { members: { count: number; me: { id: string } } };
    assert.deepEqual([ch1.members.count, ch1.members.me.id], [2, 'ann']);
    const ann2 = client({ authParams: { user: 'ann' } });
    const ch2 = (await subscribed(ann2, 'presence-lobby')) as unknown as { members: { count: number } };
    assert.equal(ch2.members.count, 2, 'one member for two sockets of ann');
    await caughtUp(wch, 'presence-lobby');
    assert.deepEqual(added.map((m) => m.id), ['ann'], 'member_added once');
    ann1.disconnect();
    await subscriptionsAre('presence-lobby', 2);
    await caughtUp(wch, 'presence-lobby');
    assert.equal(removed.length, 0, 'ann is still there on her second socket');
    ann2.disconnect();
    await once((cb) => wch.bind('pusher:member_removed', cb), 5000, 'member_removed');
    assert.deepEqual(removed.map((m) => m.id), ['ann']);
    const users = await sdk.get({ path: '/channels/presence-lobby/users' });
    assert.deepEqual(await users.json(), { users: [{ id: 'wendy' }] });
  });

  it('pass client events to the other subscribers, never back to their sender, with the sender on presence channels', async () => {
    const [a, b] = [client({ authParams: { user: 'ann' } }), client({ authParams: { user: 'bob' } })];
    const [cha, chb] = [await subscribed(a, 'presence-room-7'), await subscribed(b, 'presence-room-7')];
    const echoed: unknown[] = [];
    cha.bind('client-typing', (d: unknown) => echoed.push(d));
    const got = once<[unknown, { user_id?: string }]>((cb) => chb.bind('client-typing', (d: unknown, meta: { user_id?: string }) => cb([d, meta])));
    assert.ok(cha.trigger('client-typing', { typing: true }));
    const [data, meta] = await got;
    assert.deepEqual([data, meta.user_id], [{ typing: true }, 'ann']);
    await caughtUp(cha, 'presence-room-7');
    assert.deepEqual(echoed, []);
  });

  it('refuse client events on public channels, off their channel, when the app has them off, and beyond the rate (4301)', async () => {
    const { wire: w } = await wire();
    w.send({ event: 'pusher:subscribe', data: { channel: 'open' } });
    await w.next('pusher_internal:subscription_succeeded');
    w.send({ event: 'client-x', channel: 'open', data: {} });
    assert.deepEqual(await w.next('pusher:error'), { event: 'pusher:error', channel: 'open', data: { code: 4303, message: 'client events need the client- prefix and a private or presence channel this connection is subscribed to' } });
    w.send({ event: 'hello', channel: 'open', data: {} });
    assert.equal(((await w.next('pusher:error')).data as { code: number }).code, 4303, 'no client- prefix');

    const { wire: w2, socketId } = await wire();
    const { auth: sig } = sdk.authorizeChannel(socketId, 'private-chat');
    w2.send({ event: 'pusher:subscribe', data: { channel: 'private-chat', auth: sig } });
    await w2.next('pusher_internal:subscription_succeeded');
    for (let i = 0; i < 8; i++) w2.send({ event: 'client-burst', channel: 'private-chat', data: { i } });
    assert.deepEqual((await w2.next('pusher:error')).data, { code: 4301, message: 'client event rejected due to rate limit' });

    const quiet = await PusherWire.established(server.wsPort, 'quiet-key');
    wires.push(quiet.wire);
    const q = new Pusher({ appId: 'quiet', key: 'quiet-key', secret: 'quiet-secret', host: '127.0.0.1' });
    quiet.wire.send({ event: 'pusher:subscribe', data: { channel: 'private-chat', auth: q.authorizeChannel(quiet.socketId, 'private-chat').auth } });
    await quiet.wire.next('pusher_internal:subscription_succeeded');
    quiet.wire.send({ event: 'client-x', channel: 'private-chat', data: {} });
    assert.equal(((await quiet.wire.next('pusher:error')).data as { code: number }).code, 4302, 'enable_client_messages is off by default');
  });

  it('take no client events on encrypted channels, which are passed through as they are', async () => {
    const { wire: w, socketId } = await wire();
    const keyed = new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64') });
    w.send({ event: 'pusher:subscribe', data: { channel: 'private-encrypted-safe', auth: keyed.authorizeChannel(socketId, 'private-encrypted-safe').auth } });
    await w.next('pusher_internal:subscription_succeeded');
    w.send({ event: 'client-x', channel: 'private-encrypted-safe', data: {} });
    assert.equal(((await w.next('pusher:error')).data as { code: number }).code, 4303);
    const ciphertext = JSON.stringify({ nonce: 'bm9uY2U=', ciphertext: 'c2VjcmV0' });
    // The SDK would encrypt with its master key; posted as it would arrive, to show it is relayed untouched.
    await sdk.post({ path: '/events', body: { name: 'sealed', channels: ['private-encrypted-safe'], data: ciphertext } as never });
    assert.deepEqual(await w.next('sealed'), { event: 'sealed', channel: 'private-encrypted-safe', data: ciphertext });
  });
});

describe('users', () => {
  it("get what the app sends them after pusher:signin, and terminate_connections closes all their sockets", async () => {
    const [a, b] = [client(), client()];
    await connected(a);
    await connected(b);
    auth.requests.length = 0;
    const { wire: w, socketId } = await wire();
    const signin = sdk.authenticateUser(socketId, { id: 'ann' });
    w.send({ event: 'pusher:signin', data: { auth: signin.auth, user_data: signin.user_data } });
    assert.deepEqual((await w.next('pusher:signin_success')).data, { user_data: signin.user_data });
    w.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-ann' } });
    await w.next('pusher_internal:subscription_succeeded');
    await sdk.sendToUser('ann', 'notice', { text: 'for ann' });
    assert.deepEqual(await w.next('notice'), { event: 'notice', channel: '#server-to-user-ann', data: '{"text":"for ann"}' });

    // pusher-js does the same by itself: signin, then its #server-to-user- channel.
    const viaJs = client({ authParams: { user: 'ann' } });
    const got = once((cb) => viaJs.user.bind('notice', cb), 5000, 'user event in pusher-js');
    await connected(viaJs);
    viaJs.signin();
    await once((cb) => viaJs.user.signinDonePromise.then(() => cb(undefined)), 5000, 'signin');
    await waitFor(() => (viaJs.user.serverToUserChannel?.subscribed ? true : undefined), 5000, "pusher-js's #server-to-user- channel");
    await sdk.sendToUser('ann', 'notice', { text: 'again' });
    assert.deepEqual(await got, { text: 'again' });

    await sdk.terminateUserConnections('ann');
    assert.equal(await w.waitClose(), 4009);
    await waitFor(() => (viaJs.connection.state === 'disconnected' ? true : undefined), 5000, 'pusher-js to give up (4009: refused)');
    assert.equal(a.connection.state, 'connected', 'other users stay');
  });

  it('refuse a sign-in with a bad signature with 4009', async () => {
    const { wire: w, socketId } = await wire();
    const forged = new Pusher({ appId: APP.id, key: APP.key, secret: 'nope', host: '127.0.0.1' }).authenticateUser(socketId, { id: 'ann' });
    w.send({ event: 'pusher:signin', data: forged });
    assert.equal(((await w.next('pusher:error')).data as { code: number }).code, 4009);
    assert.equal(await w.waitClose(), 4009);
  });
});

describe('Laravel Echo', () => {
  for (const broadcaster of ['reverb', 'pusher'] as const) {
    it(`(broadcaster ${broadcaster}) listens, joins presence channels and whispers as a Laravel page does`, async () => {
      const echo = (user: string) => {
        const e = new Echo({
          broadcaster,
          key: APP.key,
          cluster: 'mt1',
          wsHost: '127.0.0.1',
          wsPort: server.wsPort,
          forceTLS: false,
          enabledTransports: ['ws'],
          authEndpoint: `${authUrl}/channel-auth`,
          auth: { params: { user } },
          Pusher: PusherJsModule,
        } as never) as Echo<typeof broadcaster>;
        echos.push(e);
        return e;
      };
      const ann = echo('ann');
      const shipped = once((cb) => ann.channel('orders').listen('.OrderShipped', cb));
      const priv = once((cb) => ann.private('orders.1').listen('.OrderPaid', cb));
      const ready = Promise.all([once((cb) => ann.channel('orders').subscribed(cb)), once((cb) => ann.private('orders.1').subscribed(cb))]);
      const here = once<{ name: string }[]>((cb) => ann.join('chat').here(cb));
      const joined = once<{ name: string }>((cb) => ann.join('chat').joining(cb));
      const whispered = once((cb) => ann.join('chat').listenForWhisper('typing', cb));
      assert.deepEqual((await here).map((m) => m.name), ['ann']);
      const bob = echo('bob');
      const bobChat = bob.join('chat');
      await once((cb) => bobChat.here(cb));
      assert.equal((await joined).name, 'bob');
      bobChat.whisper('typing', { who: 'bob' });
      assert.deepEqual(await whispered, { who: 'bob' });
      await ready;
      // Laravel's broadcaster triggers the event class name with the payload as data.
      await sdk.trigger(['orders'], 'OrderShipped', { id: 1 });
      await sdk.trigger(['private-orders.1'], 'OrderPaid', { id: 2 });
      assert.deepEqual(await shipped, { id: 1 });
      assert.deepEqual(await priv, { id: 2 });
    });
  }
});
