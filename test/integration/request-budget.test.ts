import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fakeFrame } from '../helpers/jpeg.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

/** Counts the replies of one type a client got, and the refusals it was told about (errors plus `dropped`). */
function tally(c: TestClient, type: 'history' | 'pong' | 'quality'): { answered: number; refused: number } {
  const refused = c
    .texts('error')
    .filter((e) => e.code === 'REQUEST_RATE_LIMITED')
    .reduce((n, e) => n + 1 + (e.dropped ?? 0), 0);
  return { answered: c.texts(type).length, refused };
}

describe('requests whose answers cost more than they do are limited per connection (request budget)', () => {
  // Default budget: 4 tokens per second, 40 saved up; history costs 4, quality 2, ping 1.
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ chatRate: '1000', chatBurst: '1000' });
    const cam = await server.broadcaster('budget');
    for (let i = 0; i < 20; i++) cam.send({ type: 'chat', text: `message ${i}` });
    await cam.sync();
    await cam.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  const floods: [string, () => object, 'history' | 'pong' | 'quality', number][] = [
    ['history', () => ({ type: 'history', since: 0 }), 'history', 10],
    ['ping', () => ({ type: 'ping', t: 1 }), 'pong', 40],
    ['quality', () => ({ type: 'quality', quality: 'sd' }), 'quality', 20],
  ];
  for (const [what, make, reply, burst] of floods) {
    it(`answers a ${what} flood only within the budget, refuses the rest with REQUEST_RATE_LIMITED, and ends it with 4500`, async () => {
      const c = await TestClient.connect(server.wsUrl('budget'));
      await c.nextText('history');
      const before = c.texts(reply).length;
      for (let i = 0; i < 300; i++) c.send(make());
      assert.equal(await c.waitClose(5000), 4500, 'a flood turns into strikes');
      const { answered, refused } = tally(c, reply);
      // The burst, plus what refilled while the flood was read (a few tokens at most).
      assert.ok(answered - before <= burst + 3, `${answered - before} ${what} requests answered`);
      assert.ok(answered - before >= burst, `the saved-up budget was spent (${answered - before})`);
      assert.ok(refused >= 1, 'the client was told');
    });
  }

  it('answers a client that stays within the budget without a single refusal', async () => {
    const c = await TestClient.connect(server.wsUrl('budget'));
    await c.nextText('history');
    for (let i = 0; i < 5; i++) c.send({ type: 'ping', t: i }); // the pages' first pings
    for (let i = 0; i < 6; i++) c.send({ type: 'history', since: i }); // a few history pages
    c.send({ type: 'quality', quality: 'sd' });
    c.send({ type: 'quality', quality: 'source' });
    await c.sync();
    assert.equal(c.texts('history').length, 7);
    assert.equal(c.texts('quality').length, 2);
    assert.deepEqual(c.texts('error'), []);
    await c.close();
  });

  it('treats names of built-in object properties as unknown types, not as requests', async () => {
    const c = await TestClient.connect(server.wsUrl('budget'));
    await c.nextText('history');
    const types = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
    for (const type of types) c.send({ type });
    // One error at once, the others reported together a second later (one error per code per second).
    let told = 0;
    while (told < types.length) {
      const e = await c.nextText('error', 3000);
      assert.equal(e.code, 'UNKNOWN_TYPE');
      told += 1 + (e.dropped ?? 0);
    }
    assert.equal(told, types.length);
    await c.sync();
    await c.close();
  });
});

describe('a quality switch sends the cached frame only to a connection without unsent video', () => {
  const FRAME = 256 * 1024;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240', requestBurst: '1000', wsMaxBackpressure: String(256 * 1024 * 1024) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('does not queue frame after frame for a viewer that switches tiers but never reads', async () => {
    const cam = await server.broadcaster('switch');
    const observer = await TestClient.connect(server.wsUrl('switch'));
    const stalled = await TestClient.connect(server.wsUrl('switch'));
    await Promise.all([observer.nextText('history'), stalled.nextText('history')]);
    stalled.ws.pause();
    // Fill the kernel's buffers towards the stalled viewer until the server holds unsent video for it.
    for (let seq = 1; seq <= 200 && server.ws.bufferedBytes() === 0; seq++) {
      cam.send(fakeFrame(seq, FRAME));
      await observer.nextFrame(5000);
    }
    const before = server.ws.bufferedBytes();
    assert.ok(before > 0, 'the stalled viewer has unsent video');

    for (let i = 0; i < 40; i++) stalled.send({ type: 'quality', quality: i % 2 === 0 ? 'sd' : 'source' });
    // Messages of one connection are handled in order: once its chat arrives, every switch was handled.
    stalled.send({ type: 'chat', text: 'done switching' });
    assert.equal((await observer.nextText('chat', 5000)).text, 'done switching');

    // Twenty switches to source would queue 20 frames (5 MB) without the check; the kernel, already
    // full, may take a little more meanwhile, so a frame can slip through when the queue drains.
    const grown = server.ws.bufferedBytes() - before;
    assert.ok(grown < 2 * FRAME, `switching queued ${grown} more bytes: no cached frame went to a viewer that is behind`);
    const skipped = server.rooms.get('switch')!.channel('source')!.skipped;
    assert.ok(skipped >= 10, `switches to source skipped the cached frame (${skipped} of 20)`);
    await Promise.all([cam.close(), observer.close(), stalled.close()]);
  });

  it('still hands the cached frame at once to a viewer that is caught up', async () => {
    const cam = await server.broadcaster('switch2');
    cam.send(fakeFrame(1, 5000));
    await cam.sync();
    const v = await TestClient.connect(server.wsUrl('switch2', { quality: 'thumb' }));
    await v.nextText('history');
    v.send({ type: 'quality', quality: 'source' });
    assert.equal((await v.nextFrame()).seq, 1);
    await Promise.all([cam.close(), v.close()]);
  });
});

describe('a client that reconnects in a loop gets no fresh budget: new connections per address are limited', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ connectRate: '2', connectBurst: '5', chatRate: '1000', chatBurst: '1000' });
    const cam = await server.broadcaster('loop');
    cam.send(fakeFrame(1));
    for (let i = 0; i < 20; i++) cam.send({ type: 'chat', text: `message ${i}` });
    await cam.sync();
    await cam.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses WebSockets and MJPEG streams past the rate with 429 CONNECTING_TOO_FAST, and takes them again later', async () => {
    // The broadcaster above took one; four more fit the burst of five.
    for (let i = 0; i < 4; i++) {
      const c = await TestClient.connect(server.wsUrl('loop'));
      await c.nextText('history');
      await c.close();
    }
    const refused = await TestClient.connect(server.wsUrl('loop')).then(
      () => assert.fail('accepted past the rate'),
      (err: { status?: number; body?: string }) => err,
    );
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.body!).error, 'CONNECTING_TOO_FAST');
    const stream = await fetch(server.httpUrl('/api/rooms/loop/stream.mjpg'));
    assert.equal(stream.status, 429);
    assert.ok(Number(stream.headers.get('retry-after')) >= 1);
    assert.equal(((await stream.json()) as { error: string }).error, 'CONNECTING_TOO_FAST');
    await new Promise((r) => setTimeout(r, 600));
    const later = await TestClient.connect(server.wsUrl('loop'));
    await later.nextText('history');
    await later.close();
  });
});
