import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fakeFrame } from '../helpers/jpeg.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('live state and takeover', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('tells viewers at once when the broadcaster comes and goes; the last frame stays', async () => {
    const viewer = await TestClient.connect(server.wsUrl('show'));
    const w = await viewer.nextText('welcome');
    assert.equal(w.live, false);
    const cam = await TestClient.connect(server.wsUrl('show', { role: 'broadcaster', key: server.key('show') }));
    const on = await viewer.nextText('live');
    assert.equal(on.live, true);
    cam.send(fakeFrame(7));
    await viewer.nextFrame();
    await cam.close();
    const off = await viewer.nextText('live');
    assert.equal(off.live, false);
    assert.ok(off.lastFrameAt !== null && off.since >= off.lastFrameAt);

    const late = await TestClient.connect(server.wsUrl('show'));
    const lw = await late.nextText('welcome');
    assert.deepEqual([lw.live, lw.lastFrameAt], [false, off.lastFrameAt]);
    assert.equal((await late.nextFrame()).seq, 7, 'offline rooms still show their last frame');
    await Promise.all([viewer.close(), late.close()]);
  });

  it('a new broadcaster with the key takes over; the old one is closed with 4501 and the room stays live', async () => {
    const viewer = await TestClient.connect(server.wsUrl('swap'));
    await viewer.nextText('history');
    const first = await TestClient.connect(server.wsUrl('swap', { role: 'broadcaster', key: server.key('swap'), name: 'one' }));
    await viewer.nextText('live');
    first.send(fakeFrame(1));
    assert.equal((await viewer.nextFrame()).seq, 1);
    const second = await TestClient.connect(server.wsUrl('swap', { role: 'broadcaster', key: server.key('swap'), name: 'two' }));
    assert.equal(await first.waitClose(), 4501);
    second.send(fakeFrame(100));
    assert.equal((await viewer.nextFrame()).seq, 100);
    assert.equal(viewer.texts('live').length, 1, 'no offline flap during a takeover');
    assert.equal(server.rooms.get('swap')!.live, true);
    await Promise.all([viewer.close(), second.close()]);
  });
});
