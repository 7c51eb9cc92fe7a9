import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { deriveTokenKey, mintToken } from '../../src/core/viewer-token.js';
import type { Grant } from '../../src/protocol/index.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { until } from '../helpers/media.js';
import { openMjpeg } from '../helpers/mjpeg-client.js';
import { getSettings, mintOverHttp, putSettings, refusedUpgrade, requestToken, setPrivate } from '../helpers/room-admin.js';
import { startRestartableTestServer, restartTestServer, startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const tokenKey = deriveTokenKey(TEST_SECRET);
const token = (room: string, grants: Grant[], ttlSeconds = 3600, now = Date.now()) => mintToken(tokenKey, room, grants, ttlSeconds, now).token;

describe('room settings and viewer tokens over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const base = () => server.httpUrl('');

  it('reads and changes settings with the stream key as a Bearer credential; fields left out keep their value', async () => {
    const key = server.key('set1');
    assert.deepEqual((await getSettings(base(), 'set1', key)).body, { private: false, joinNotices: true, slowModeSeconds: 0 });
    const put = await putSettings(base(), 'set1', key, { private: true, slowModeSeconds: 10 });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { private: true, joinNotices: true, slowModeSeconds: 10 });
    assert.equal(put.headers.get('cache-control'), 'no-store');
    assert.deepEqual((await putSettings(base(), 'set1', key, { joinNotices: false })).body, { private: true, joinNotices: false, slowModeSeconds: 10 });
    assert.deepEqual((await getSettings(base(), 'set1', key)).body, { private: true, joinNotices: false, slowModeSeconds: 10 });
  });

  it('refuses a missing or wrong key with 401 BAD_KEY, a viewer token with 403 NOT_ALLOWED, a forged one with 401 BAD_TOKEN', async () => {
    const none = await putSettings(base(), 'set2', null, { private: true });
    assert.deepEqual([none.status, none.body.error], [401, 'BAD_KEY']);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await putSettings(base(), 'set2', server.key('other'), { private: true });
    assert.deepEqual([wrong.status, wrong.body.error], [401, 'BAD_KEY']);
    const viewer = await putSettings(base(), 'set2', token('set2', ['watch', 'chat', 'moderate', 'publish']), { private: true });
    assert.deepEqual([viewer.status, viewer.body.error], [403, 'NOT_ALLOWED']);
    const forged = await putSettings(base(), 'set2', `${token('set2', ['watch']).slice(0, -4)}AAAA`, { private: true });
    assert.deepEqual([forged.status, forged.body.error], [401, 'BAD_TOKEN']);
    assert.deepEqual((await getSettings(base(), 'set2', null)).body.error, 'BAD_KEY');
    assert.equal((await getSettings(base(), 'set2', server.key('set2'))).body.private, false, 'nothing was changed');
    const mint = await requestToken(base(), 'set2', token('set2', ['publish']), {});
    assert.deepEqual([mint.status, mint.body.error], [403, 'NOT_ALLOWED']);
  });

  it('refuses unknown fields, wrong types, out-of-range values and bodies that are not JSON with 400 BAD_BODY', async () => {
    const key = server.key('set3');
    for (const body of [{ private: 'yes' }, { private: true, colour: 'red' }, { slowModeSeconds: -1 }, { slowModeSeconds: 1.5 }, { slowModeSeconds: 3601 }, [true], '{"private":', 'null']) {
      const r = await putSettings(base(), 'set3', key, body);
      assert.deepEqual([r.status, r.body.error], [400, 'BAD_BODY'], JSON.stringify(body));
      assert.equal(typeof r.body.detail, 'string');
    }
    assert.equal((await getSettings(base(), 'set3', key)).body.private, false);
    const bad = await putSettings(base(), 'Not-A-Room', key, { private: true });
    assert.deepEqual([bad.status, bad.body.error], [400, 'BAD_ROOM']);
  });

  it('mints tokens for the key holder: the grants and validity asked for, refusing anything else', async () => {
    const key = server.key('mint');
    const r = await requestToken(base(), 'mint', key, { grants: ['chat', 'watch'], ttlSeconds: 7200 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.grants, ['watch', 'chat']);
    assert.ok(Math.abs(r.body.expiresAt - (Date.now() + 7200_000)) < 5000);
    assert.match(r.body.token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const defaults = await requestToken(base(), 'mint', key, {});
    assert.deepEqual(defaults.body.grants, ['watch', 'chat']);
    for (const body of [{ grants: [] }, { grants: ['watch', 'watch'] }, { grants: ['admin'] }, { grants: 'watch' }, { ttlSeconds: 0 }, { ttlSeconds: 31 * 86400 }, { ttl: 60 }]) {
      const bad = await requestToken(base(), 'mint', key, body);
      assert.deepEqual([bad.status, bad.body.error], [400, 'BAD_BODY'], JSON.stringify(body));
    }
    assert.equal((await requestToken(base(), 'mint', null, {})).status, 401);
  });
});

describe('a private room', () => {
  let server: TestServer;
  const open: { close(): Promise<void> }[] = [];
  const client = async (url: string) => {
    const c = await TestClient.connect(url);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server.stop();
  });
  const base = () => server.httpUrl('');
  const live = async (room: string) => {
    const cam = await server.broadcaster(room);
    open.push(cam);
    cam.send(fakeFrame(1));
    await cam.sync();
    return cam;
  };

  it('sends viewers without a token away with 4502 when it turns private, and tells those with one what they keep', async () => {
    const cam = await live('p1');
    const anon = await client(server.wsUrl('p1'));
    assert.deepEqual((await anon.nextText('welcome')).grants, ['watch', 'chat']);
    const guest = await client(server.wsUrl('p1', { token: token('p1', ['watch']) }));
    const w = await guest.nextText('welcome');
    assert.deepEqual([w.private, w.grants], [false, ['watch', 'chat']], 'a public room gives everyone watch and chat');
    await setPrivate(base(), 'p1', server.key('p1'), true);
    assert.equal(await anon.waitClose(), 4502);
    assert.match(anon.closeReason, /private/);
    assert.deepEqual(await guest.nextText('access'), { type: 'access', private: true, grants: ['watch'] });
    const camAccess = await cam.nextText('access');
    assert.deepEqual([camAccess.private, camAccess.grants], [true, ['watch', 'chat', 'moderate', 'publish']]);
    // Back to public: everyone may chat again.
    await setPrivate(base(), 'p1', server.key('p1'), false);
    assert.deepEqual(await guest.nextText('access'), { type: 'access', private: false, grants: ['watch', 'chat'] });
    const back = await client(server.wsUrl('p1'));
    assert.equal((await back.nextText('welcome')).private, false);
  });

  it('refuses upgrades without a token that grants watch, with the documented status and code', async () => {
    await live('p2');
    await setPrivate(base(), 'p2', server.key('p2'), true);
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p2')), { status: 401, code: 'TOKEN_REQUIRED' });
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p2', { token: 'nonsense' })), { status: 401, code: 'BAD_TOKEN' });
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p2', { token: token('p2x', ['watch']) })), { status: 401, code: 'BAD_TOKEN' }, 'another room');
    const old = token('p2', ['watch'], 60, Date.now() - 120_000);
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p2', { token: old })), { status: 401, code: 'TOKEN_EXPIRED' });
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p2', { token: token('p2', ['chat']) })), { status: 403, code: 'NOT_ALLOWED' });
    const ok = await client(server.wsUrl('p2', { token: token('p2', ['watch', 'chat']) }));
    const w = await ok.nextText('welcome');
    assert.deepEqual([w.private, w.grants, w.live], [true, ['watch', 'chat'], true]);
    assert.equal((await ok.nextFrame()).seq, 1, 'the last frame, as in any room');
  });

  it('refuses chat without the chat grant (error NOT_ALLOWED, nothing posted); with it, chat works', async () => {
    await live('p3');
    await setPrivate(base(), 'p3', server.key('p3'), true);
    const watcher = await client(server.wsUrl('p3', { token: token('p3', ['watch']) }));
    const talker = await client(server.wsUrl('p3', { token: token('p3', ['watch', 'chat']) }));
    assert.deepEqual((await watcher.nextText('welcome')).grants, ['watch']);
    await talker.nextText('history');
    watcher.send({ type: 'chat', text: 'let me in' });
    assert.equal((await watcher.nextText('error')).code, 'NOT_ALLOWED');
    talker.send({ type: 'chat', text: 'hello' });
    assert.equal((await talker.nextText('chat')).text, 'hello');
    assert.deepEqual(server.rooms.get('p3')!.chat.last(10).map((m) => m.text), ['hello']);
  });

  it('is not listed, and its room info, snapshot and MJPEG stream need a token', async () => {
    await live('p4');
    await live('shown');
    await setPrivate(base(), 'p4', server.key('p4'), true);
    const list = (await (await fetch(server.httpUrl('/api/rooms'))).json()) as { rooms: { name: string }[] };
    assert.ok(list.rooms.some((r) => r.name === 'shown'));
    assert.ok(!list.rooms.some((r) => r.name === 'p4'), 'a private room is not listed');
    for (const path of ['/api/rooms/p4', '/api/rooms/p4/snapshot.jpg', '/api/rooms/p4/stream.mjpg']) {
      const res = await fetch(server.httpUrl(path));
      assert.equal(res.status, 401, path);
      assert.equal(((await res.json()) as { error: string }).error, 'TOKEN_REQUIRED');
      const expired = await fetch(server.httpUrl(`${path}?token=${token('p4', ['watch'], 60, Date.now() - 120_000)}`));
      assert.equal(((await expired.json()) as { error: string }).error, 'TOKEN_EXPIRED', path);
    }
    const t = token('p4', ['watch']);
    assert.equal((await fetch(server.httpUrl(`/api/rooms/p4?token=${t}`))).status, 200);
    const snap = await fetch(server.httpUrl(`/api/rooms/p4/snapshot.jpg?token=${t}`));
    assert.equal(snap.status, 200);
    assert.equal(snap.headers.get('content-type'), 'image/jpeg');
    const chatOnly = await fetch(server.httpUrl(`/api/rooms/p4/snapshot.jpg?token=${token('p4', ['chat'])}`));
    assert.deepEqual([chatOnly.status, ((await chatOnly.json()) as { error: string }).error], [403, 'NOT_ALLOWED']);
  });

  it('ends MJPEG streams without a token when the room turns private; one with a token goes on', async () => {
    const cam = await live('p5');
    const anon = openMjpeg(server.httpUrl('/api/rooms/p5/stream.mjpg'));
    const guest = openMjpeg(server.httpUrl(`/api/rooms/p5/stream.mjpg?token=${token('p5', ['watch'])}`));
    try {
      await until(() => anon.state.parts.length > 0 && guest.state.parts.length > 0, 'both streams to start');
      await setPrivate(base(), 'p5', server.key('p5'), true);
      await until(() => anon.state.ended, 'the stream without a token to end');
      assert.match(anon.state.tail.toString('latin1'), /--beamcastframe--\r\n$/);
      const before = guest.state.parts.length;
      cam.send(fakeFrame(2));
      await until(() => guest.state.parts.length > before, 'the next frame on the stream with a token');
      assert.equal(guest.state.ended, false);
    } finally {
      anon.close();
      guest.close();
    }
  });

  it('lets a token that grants publish broadcast instead of the key; other tokens may not', async () => {
    await setPrivate(base(), 'p6', server.key('p6'), true);
    const byToken = await client(server.wsUrl('p6', { role: 'broadcaster', token: token('p6', ['publish']) }));
    const w = await byToken.nextText('welcome');
    assert.deepEqual([w.role, w.you.role], ['broadcaster', 'broadcaster']);
    assert.equal(server.rooms.get('p6')!.live, true);
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p6', { role: 'broadcaster', token: token('p6', ['watch', 'chat']) })), { status: 403, code: 'NOT_ALLOWED' });
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p6', { role: 'broadcaster', token: token('p6', ['publish'], 60, Date.now() - 120_000) })), { status: 401, code: 'TOKEN_EXPIRED' });
    assert.deepEqual(await refusedUpgrade(server.wsUrl('p6', { role: 'broadcaster' })), { status: 401, code: 'BAD_KEY' });
  });

  it('admits a viewer of a public room whose token does not verify, and says why after welcome', async () => {
    await live('pub');
    const c = await client(server.wsUrl('pub', { token: token('pub', ['watch'], 60, Date.now() - 120_000) }));
    assert.deepEqual((await c.nextText('welcome')).grants, ['watch', 'chat']);
    assert.equal((await c.nextText('error')).code, 'TOKEN_EXPIRED');
  });

  it('explains a refusal to a page through POST /api/rooms/:room/access', async () => {
    await live('p7');
    const ask = async (body: unknown) => {
      const res = await fetch(server.httpUrl('/api/rooms/p7/access'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await ask({}), { status: 200, body: { private: false, grants: ['watch', 'chat'] } });
    await setPrivate(base(), 'p7', server.key('p7'), true);
    assert.deepEqual((await ask({})).body.error, 'TOKEN_REQUIRED');
    assert.deepEqual((await ask({ token: 'x.y' })).body.error, 'BAD_TOKEN');
    assert.deepEqual(await ask({ token: token('p7', ['watch']) }), { status: 200, body: { private: true, grants: ['watch'] } });
  });

  it('can be made private before anyone goes live: the first viewer without a token is refused', async () => {
    await setPrivate(base(), 'early', server.key('early'), true);
    assert.deepEqual(await refusedUpgrade(server.wsUrl('early')), { status: 401, code: 'TOKEN_REQUIRED' });
    // A viewer with a token waits in it; when it leaves, the waiting room goes, the setting stays.
    const waiting = await client(server.wsUrl('early', { token: token('early', ['watch']) }));
    await waiting.nextText('welcome');
    await waiting.close();
    await until(() => server.rooms.get('early') === undefined, 'the waiting room to be dropped');
    assert.deepEqual(await refusedUpgrade(server.wsUrl('early')), { status: 401, code: 'TOKEN_REQUIRED' });
  });
});

describe('settings are kept like chat', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps a room private through a restart of the server, and a token minted before it works after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-settings-'));
    dirs.push(dataDir);
    let server = await startRestartableTestServer({ dataDir });
    try {
      await setPrivate(server.httpUrl(''), 'kept', server.key('kept'), true);
      const t = await mintOverHttp(server.httpUrl(''), 'kept', server.key('kept'), ['watch']);
      server = await restartTestServer(server, { dataDir });
      assert.deepEqual(await refusedUpgrade(server.wsUrl('kept')), { status: 401, code: 'TOKEN_REQUIRED' });
      const c = await TestClient.connect(server.wsUrl('kept', { token: t }));
      assert.equal((await c.nextText('welcome')).private, true);
      await c.close();
    } finally {
      await server.stop();
    }
  });
});
