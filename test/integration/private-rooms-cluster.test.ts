import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, it } from 'vitest';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { getSettings, mintOverHttp, refusedUpgrade, setPrivate } from '../helpers/room-admin.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

/** Two nodes on one Redis, each an in-process server with its own broker. */
describeNeeding(redisSkip(), 'private rooms across nodes sharing Redis', () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: TestServer[] = [];
  const open: TestClient[] = [];
  const pair = async () => {
    const p = `pv${++prefix}:`;
    for (const id of ['a', 'b']) servers.push(await startTestServer({ redisUrl: redis.url, redisPrefix: p, nodeId: id, maxFps: '240' }));
    return servers.slice(-2) as [TestServer, TestServer];
  };
  const client = async (url: string) => {
    const c = await TestClient.connect(url);
    open.push(c);
    return c;
  };
  const listed = async (s: TestServer) => ((await (await fetch(s.httpUrl('/api/rooms'))).json()) as { rooms: { name: string }[] }).rooms.map((r) => r.name);

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('a room made private on one node is private on the other at once: its viewers there without a token are sent away', async () => {
    const [a, b] = await pair();
    const cam = await a.broadcaster('x');
    open.push(cam);
    cam.send(fakeFrame(1));
    const onB = await client(b.wsUrl('x'));
    assert.equal((await onB.nextText('welcome')).live, true);
    await waitFor(async () => ((await listed(b)).includes('x') ? true : undefined), 5000, 'the room in the list on b');

    await setPrivate(a.httpUrl(''), 'x', a.key('x'), true);
    assert.equal(await onB.waitClose(), 4502, 'the viewer on the other node is closed');
    assert.deepEqual(await refusedUpgrade(b.wsUrl('x')), { status: 401, code: 'TOKEN_REQUIRED' });
    assert.equal((await getSettings(b.httpUrl(''), 'x', b.key('x'))).body.private, true, 'b reads the setting a stored');
    await waitFor(async () => (!(await listed(b)).includes('x') && !(await listed(a)).includes('x') ? true : undefined), 5000, 'the room gone from both lists');
    const snap = await fetch(b.httpUrl('/api/rooms/x/snapshot.jpg'));
    assert.equal(snap.status, 401);
  });

  it('a token minted on one node works on the other, for viewing, snapshots and publishing', async () => {
    const [a, b] = await pair();
    await setPrivate(a.httpUrl(''), 'y', a.key('y'), true);
    const publish = await mintOverHttp(a.httpUrl(''), 'y', a.key('y'), ['publish']);
    const watch = await mintOverHttp(a.httpUrl(''), 'y', a.key('y'), ['watch', 'chat']);
    // The broadcaster on b with a token from a; the viewer on a with a token from a; b never saw y before.
    const cam = await client(b.wsUrl('y', { role: 'broadcaster', token: publish }));
    assert.equal((await cam.nextText('welcome')).role, 'broadcaster');
    cam.send(fakeFrame(7));
    await cam.sync();
    const viewer = await client(b.wsUrl('y', { token: watch }));
    const w = await viewer.nextText('welcome');
    assert.deepEqual([w.private, w.grants], [true, ['watch', 'chat']]);
    const res = await fetch(a.httpUrl(`/api/rooms/y/snapshot.jpg?token=${watch}`));
    assert.equal(res.status, 200, 'a snapshot through the other node');
    assert.deepEqual(await refusedUpgrade(a.wsUrl('y')), { status: 401, code: 'TOKEN_REQUIRED' });
  });

  it('turning private on one node while the other sets slow mode keeps both changes', async () => {
    const [a, b] = await pair();
    const puts = [];
    for (let i = 0; i < 5; i++) {
      puts.push(fetch(a.httpUrl('/api/rooms/z/settings'), { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key('z')}` }, body: JSON.stringify({ private: true }) }));
      puts.push(fetch(b.httpUrl('/api/rooms/z/settings'), { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${b.key('z')}` }, body: JSON.stringify({ slowModeSeconds: 30 }) }));
    }
    for (const r of await Promise.all(puts)) assert.equal(r.status, 200);
    for (const s of [a, b]) assert.deepEqual((await getSettings(s.httpUrl(''), 'z', s.key('z'))).body, { private: true, joinNotices: true, slowModeSeconds: 30 });
  });

  it('stays private while Redis is out of reach: a node that knows the room keeps its settings, one that does not admits only tokens', async () => {
    const [a, b] = await pair();
    await setPrivate(a.httpUrl(''), 'w', a.key('w'), true);
    const t = await mintOverHttp(a.httpUrl(''), 'w', a.key('w'), ['watch']);
    const held = await client(b.wsUrl('w', { token: t }));
    await held.nextText('welcome');
    await redis.stop();
    try {
      await waitFor(() => (!a.broker.up && !b.broker.up ? true : undefined), 10_000, 'both nodes to see the bus down');
      assert.deepEqual(await refusedUpgrade(b.wsUrl('w')), { status: 401, code: 'TOKEN_REQUIRED' }, 'b holds the room: its settings are known');
      assert.deepEqual(await refusedUpgrade(a.wsUrl('w')), { status: 503, code: 'SETTINGS_UNAVAILABLE' }, 'a cannot tell: no token, no entry');
      const withToken = await client(a.wsUrl('w', { token: t }));
      assert.equal((await withToken.nextText('welcome')).room, 'w', 'a token that grants watch is enough on its own');
      const put = await fetch(a.httpUrl('/api/rooms/w/settings'), { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key('w')}` }, body: '{"private":false}' });
      assert.deepEqual([put.status, ((await put.json()) as { error: string }).error], [503, 'SETTINGS_UNAVAILABLE']);
    } finally {
      await redis.start();
    }
  });
});
