// The Pusher protocol 7 connection as pusher-js and other clients see it: the handshake, pings,
// refusals with the close codes pusher-js acts on, and the app's limits.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'vitest';
import { pusherCloseAction } from '../../src/protocol/pusher/codes.js';
import { pusherJsProtocol } from '../helpers/pusher-js-source.js';
import { APP, connected, once, pusherClient, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { PusherWire } from '../helpers/pusher-wire.js';
import type { TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const servers: TestServer[] = [];
const wires: PusherWire[] = [];
const start = async (...args: Parameters<typeof startPusherServer>) => {
  const s = await startPusherServer(...args);
  servers.push(s);
  return s;
};
const connect = async (s: TestServer, key = APP.key, opts: { query?: string; origin?: string } = {}) => {
  const w = await PusherWire.connect(s.wsPort, key, opts);
  wires.push(w);
  return w;
};

afterEach(async () => {
  await Promise.all(wires.splice(0).map((w) => w.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('a Pusher connection', () => {
  it("is established with a socket id like 123.456 and the app's activity timeout, as pusher-js reads them", async () => {
    const s = await start([testApp({ activity_timeout: 42 })]);
    const w = await connect(s);
    const hello = await w.next();
    const handshake = (await pusherJsProtocol()).processHandshake({ data: JSON.stringify(hello) });
    assert.equal(handshake.action, 'connected');
    assert.match(handshake.id!, /^\d+\.\d+$/);
    assert.equal(handshake.activityTimeout, 42_000, 'pusher-js reads seconds and works in ms');
    w.send({ event: 'pusher:ping', data: {} });
    assert.deepEqual(await w.next(), { event: 'pusher:pong', data: {} });

    const client = pusherClient(s);
    try {
      assert.match(await connected(client), /^\d+\.\d+$/);
    } finally {
      client.disconnect();
    }
  });

  it('is refused with the code pusher-js acts on: unknown key 4001, disabled app 4003, another protocol 4007, a foreign origin 4009', async () => {
    const s = await start([testApp({ allowed_origins: ['https://shop.example.org', '*.example.net'] }), testApp({ enabled: false }, { id: '2', key: 'off-key', secret: 'x' })]);
    const cases: [string, { query?: string; origin?: string }, number][] = [
      ['nope', {}, 4001],
      ['off-key', {}, 4003],
      [APP.key, { query: 'protocol=6' }, 4007],
      [APP.key, { query: 'client=js' }, 4007],
      [APP.key, { origin: 'https://evil.example.com' }, 4009],
    ];
    for (const [key, opts, code] of cases) {
      const w = await connect(s, key, opts);
      const err = await w.next();
      assert.deepEqual([err.event, (err.data as { code: number }).code], ['pusher:error', code], `${key} ${JSON.stringify(opts)}`);
      assert.equal(await w.waitClose(), code);
      assert.equal(pusherCloseAction(code), 'refused', 'pusher-js gives up rather than hammering the server');
    }
    for (const origin of ['https://shop.example.org', 'https://a.example.net', undefined]) {
      const w = await connect(s, APP.key, origin ? { origin } : {});
      assert.equal((await w.next()).event, 'pusher:connection_established', `origin ${origin}`);
    }
  });

  it("holds the app's max_connections: one more is closed with 4004 until a place is free", async () => {
    const s = await start([testApp({ max_connections: 2 })]);
    const [a] = [await connect(s), await connect(s)];
    for (const w of wires) await w.next('pusher:connection_established');
    const third = await connect(s);
    assert.deepEqual((await third.next()).data, { code: 4004, message: 'the app is over its connection quota' });
    assert.equal(await third.waitClose(), 4004);
    await a!.close();
    const again = await connect(s);
    await again.next('pusher:connection_established');
  });

  it('counts Pusher connections against MAX_CONNECTIONS_PER_IP with the other WebSockets: one more backs off with 4100', async () => {
    const s = await start(undefined, { maxConnectionsPerIp: '2' });
    const viewer = await TestClient.connect(s.wsUrl('lobby'));
    try {
      await viewer.nextText('welcome');
      const first = await connect(s);
      await first.next('pusher:connection_established');
      const second = await connect(s);
      assert.equal(((await second.next('pusher:error')).data as { code: number }).code, 4100);
      assert.equal(await second.waitClose(), 4100);
      assert.equal(pusherCloseAction(4100), 'backoff');
    } finally {
      await viewer.close();
    }
  });

  it('answers a message over max_message_size with 4304 and stays open; one far beyond it is dropped unread', async () => {
    const s = await start([testApp({ max_message_size: 1024 })]);
    const w = await connect(s);
    await w.next('pusher:connection_established');
    w.send({ event: 'pusher:subscribe', data: { channel: 'x'.repeat(1500) } });
    assert.deepEqual((await w.next('pusher:error')).data, { code: 4304, message: "message is larger than the app's max_message_size" });
    await w.sync();
    w.send('x'.repeat(3000));
    assert.equal(await w.waitClose(), 1006);
  });

  it('answers malformed messages with 4305, and closes with 4300 a client that keeps sending them', async () => {
    const s = await start();
    const w = await connect(s);
    await w.next('pusher:connection_established');
    for (const bad of ['not json', '[1]', '{"event":"pusher:subscribe","data":{}}', '{"event":"pusher:nonsense"}']) {
      w.send(bad);
      assert.equal(((await w.next('pusher:error')).data as { code: number }).code, 4305, bad);
    }
    w.send(Buffer.from([1, 2, 3]));
    assert.equal(((await w.next('pusher:error')).data as { code: number }).code, 4305, 'binary');
    for (let i = 0; i < 30; i++) w.send('{');
    assert.equal(await w.waitClose(), 4300);
  });

  it('refuses subscribing faster than 10 a second beyond a first 100, and closes with 4300 on a flood', async () => {
    const s = await start();
    const w = await connect(s);
    await w.next('pusher:connection_established');
    for (let i = 0; i < 125; i++) {
      w.send({ event: 'pusher:subscribe', data: { channel: `c${i}` } });
      w.send({ event: 'pusher:unsubscribe', data: { channel: `c${i}` } });
    }
    await w.sync();
    const errors = w.messages.filter((m) => m.event === 'pusher:subscription_error');
    assert.ok(errors.length >= 20 && errors.length <= 25, `about 25 of 125 refused (${errors.length})`);
    assert.deepEqual(errors[0]!.data, { type: 'LimitReached', error: 'subscribing too often; try again in a moment', status: 429 });
    for (let i = 0; i < 40; i++) w.send({ event: 'pusher:subscribe', data: { channel: `more${i}` } });
    assert.equal(await w.waitClose(), 4300);
  });

  it('pings a silent client, and closes with 4201 when one that speaks ping does not answer', async () => {
    const s = await start([testApp({ ping_interval: 1 })]);
    const w = await connect(s);
    await w.next('pusher:connection_established');
    await w.sync();
    assert.deepEqual(await w.next('pusher:ping', 4000), { event: 'pusher:ping', data: {} });
    assert.equal(await w.waitClose(4000), 4201);
  });

  it('closes with 4202 a silent client that never used ping', async () => {
    const s = await start([testApp({ ping_interval: 1 })]);
    const w = await connect(s);
    await w.next('pusher:connection_established');
    await w.next('pusher:ping', 4000);
    assert.equal(await w.waitClose(4000), 4202);
  });

  it('keeps a pusher-js client that answers its pings', async () => {
    const s = await start([testApp({ ping_interval: 1 })]);
    const client = pusherClient(s);
    try {
      const id = await connected(client);
      let pings = 0;
      const twice = once((cb) => client.connection.bind('message', (m: { event: string }) => m.event === 'pusher:ping' && ++pings === 2 && cb(undefined)), 8000, 'two server pings');
      // The second ping comes only if the answer to the first kept the connection.
      await twice;
      assert.equal(client.connection.state, 'connected');
      assert.equal(client.connection.socket_id, id, 'the same connection all along');
    } finally {
      client.disconnect();
    }
  });

  it('is closed with 4200 when the server shuts down, which pusher-js retries at once', async () => {
    const s = await startPusherServer();
    const w = await connect(s);
    await w.next('pusher:connection_established');
    await s.stop();
    assert.equal(await w.waitClose(), 4200);
    assert.equal(pusherCloseAction(4200), 'retry');
  });
});
