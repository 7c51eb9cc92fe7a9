import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { until } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

type Refusal = Error & { status?: number; body?: string };

/** Opens viewers of the given rooms, a batch at a time; refused upgrades are returned as errors. */
async function openViewers(server: TestServer, rooms: string[]): Promise<(TestClient | Refusal)[]> {
  const out: (TestClient | Refusal)[] = [];
  for (let i = 0; i < rooms.length; i += 200) {
    const batch = await Promise.allSettled(rooms.slice(i, i + 200).map((r) => TestClient.connect(server.wsUrl(r))));
    for (const b of batch) out.push(b.status === 'fulfilled' ? b.value : (b.reason as Refusal));
  }
  return out;
}

describe('rooms nobody has been live in', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxWaitingRooms: '1000' });
  });
  afterAll(async () => {
    await server.stop();
  });
  const getJson = async (path: string) => {
    const r = await fetch(server.httpUrl(path));
    return { status: r.status, body: (await r.json()) as any };
  };

  it('2000 viewers of made-up rooms: 1000 may wait, the rest get 503, and none of it is public', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `made-up-${i}`);
    const opened = await openViewers(server, names);
    const clients = opened.filter((c): c is TestClient => c instanceof TestClient);
    const refused = opened.filter((c): c is Refusal => !(c instanceof TestClient));
    try {
      assert.equal(clients.length, 1000);
      assert.equal(refused.length, 1000);
      for (const r of refused) {
        assert.equal(r.status, 503);
        assert.equal(JSON.parse(r.body!).error, 'TOO_MANY_WAITING_ROOMS');
      }
      assert.equal(server.rooms.waitingCount, 1000);
      assert.deepEqual(await getJson('/api/rooms'), { status: 200, body: { rooms: [] } });
      const waitingName = names[opened.findIndex((c) => c instanceof TestClient)]!;
      for (const path of [`/api/rooms/${waitingName}`, `/api/rooms/${waitingName}/snapshot.jpg`, `/api/rooms/${waitingName}/stream.mjpg`]) {
        const r = await getJson(path);
        assert.deepEqual([r.status, r.body.error], [404, 'ROOM_NOT_FOUND'], path);
      }

      // Past the cap: a room that exists still takes viewers, and a broadcaster still goes live.
      const more = await TestClient.connect(server.wsUrl(waitingName));
      clients.push(more);
      assert.equal((await more.nextText('welcome')).live, false);
      const cam = await server.broadcaster('real-room');
      const fan = await TestClient.connect(server.wsUrl('real-room'));
      clients.push(cam, fan);
      assert.equal((await fan.nextText('welcome')).live, true);
      const listed = await getJson('/api/rooms');
      assert.deepEqual(listed.body.rooms.map((r: { name: string }) => r.name), ['real-room']);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    // Each made-up room went with its last viewer; the real one stays for ROOM_TTL.
    await until(() => server.rooms.waitingCount === 0, 'the waiting rooms to be dropped', 10_000);
    assert.deepEqual(server.rooms.list().map((r) => r.name), ['real-room']);
    const again = await TestClient.connect(server.wsUrl('made-up-again'));
    assert.equal((await again.nextText('welcome')).live, false, 'there is room to wait again');
    await again.close();
  });

  it('a room becomes public when a broadcaster first goes live in it, with its waiting viewers and chat', async () => {
    const viewer = await TestClient.connect(server.wsUrl('soon'));
    await viewer.nextText('history');
    viewer.send({ type: 'chat', text: 'waiting for it' });
    await viewer.nextText('chat');
    assert.equal((await getJson('/api/rooms/soon')).status, 404);
    const cam = await server.broadcaster('soon');
    assert.equal((await viewer.nextText('live')).live, true);
    const one = await getJson('/api/rooms/soon');
    assert.deepEqual([one.status, one.body.live, one.body.viewers, one.body.chatMessages], [200, true, 1, 1]);
    await cam.close();
    await viewer.close();
    assert.equal((await getJson('/api/rooms/soon')).body.live, false, 'kept, offline, after everyone left');
  });

  it('MAX_WAITING_ROOMS=0: viewers may only join rooms that have been live', async () => {
    const strict = await startTestServer({ maxWaitingRooms: '0' });
    try {
      await assert.rejects(TestClient.connect(strict.wsUrl('nothing-yet')), (e: Refusal) => e.status === 503);
      const cam = await strict.broadcaster('open');
      const viewer = await TestClient.connect(strict.wsUrl('open'));
      await Promise.all([viewer.close(), cam.close()]);
    } finally {
      await strict.stop();
    }
  });
});
