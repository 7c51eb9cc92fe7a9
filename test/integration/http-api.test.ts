import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fakeFrame } from '../helpers/jpeg.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('HTTP API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const get = async (path: string) => {
    const r = await fetch(server.httpUrl(path));
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };

  it('lists live and recently live rooms with viewers, size and fps', async () => {
    const cam = await TestClient.connect(server.wsUrl('api', { role: 'broadcaster', key: server.key('api') }));
    const viewers = await Promise.all([1, 2].map(() => TestClient.connect(server.wsUrl('api'))));
    for (let i = 0; i < 3; i++) cam.send(fakeFrame(i + 1));
    await viewers[0]!.nextFrame();
    await viewers[0]!.nextFrame();
    await viewers[0]!.nextFrame();
    const list = await get('/api/rooms');
    assert.equal(list.status, 200);
    const room = list.body.rooms.find((r: { name: string }) => r.name === 'api');
    assert.deepEqual([room.live, room.viewers, room.width, room.height], [true, 2, 320, 240]);
    assert.equal(typeof room.lastFrameAt, 'number');
    assert.equal(typeof room.fps, 'number');
    const one = await get('/api/rooms/api');
    assert.deepEqual([one.status, one.body.name, one.body.live], [200, 'api', true]);
    await cam.close();
    await new Promise((r) => setTimeout(r, 50));
    const after = await get('/api/rooms/api');
    assert.deepEqual([after.body.live, typeof after.body.offlineSince], [false, 'number']);
    await Promise.all(viewers.map((v) => v.close()));
  });

  it('answers unknown and invalid rooms with their codes', async () => {
    assert.deepEqual(await get('/api/rooms/nobody'), { status: 404, body: { error: 'ROOM_NOT_FOUND', message: 'no such room' } });
    const bad = await get('/api/rooms/Not%20A%20Room');
    assert.deepEqual([bad.status, bad.body.error], [400, 'BAD_ROOM']);
  });

  it('verifies stream keys for the broadcaster page', async () => {
    const post = (key: string) =>
      fetch(server.httpUrl('/api/rooms/lab/verify-key'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    assert.equal((await post(server.key('lab'))).status, 200);
    const wrong = await post('0'.repeat(32));
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'BAD_KEY');
  });

  it('serves health, readiness and the page config', async () => {
    assert.deepEqual(await get('/healthz'), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(await get('/readyz'), { status: 200, body: { status: 'ready', bus: 'up' } });
    const cfg = await get('/api/config');
    assert.deepEqual([cfg.body.protocol, cfg.body.wsPort, cfg.body.wsUrl], [1, server.wsPort, null]);
    assert.equal(cfg.body.limits.maxFps, 30);
  });
});
