import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('chat', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ chatBurst: '100', chatRate: '100' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('fans a message out to everyone with id, time, sender and text, text kept as sent', async () => {
    const cam = await TestClient.connect(server.wsUrl('talk', { role: 'broadcaster', key: server.key('talk'), name: 'Host' }));
    const a = await TestClient.connect(server.wsUrl('talk', { name: 'Ann' }));
    const b = await TestClient.connect(server.wsUrl('talk', { name: '<img src=x onerror=alert(1)>' }));
    const welcomeB = await b.nextText('welcome');
    b.send({ type: 'chat', text: '  <script>x</script> & "quotes" ', ref: 'r1' });
    for (const c of [cam, a, b]) {
      const m = await c.nextText('chat');
      assert.equal(m.id, 1);
      assert.equal(m.text, '  <script>x</script> & "quotes" ');
      assert.equal(m.ref, 'r1');
      assert.deepEqual(m.from, welcomeB.you);
      assert.equal(m.from.name, '<img src=x onerror=alert(1)>');
      assert.ok(Math.abs(m.at - Date.now()) < 5000);
    }
    cam.send({ type: 'chat', text: 'from the broadcaster' });
    const m2 = await a.nextText('chat');
    assert.deepEqual([m2.id, m2.from.role, m2.from.name], [2, 'broadcaster', 'Host']);
    await Promise.all([cam, a, b].map((c) => c.close()));
  });

  it('sends the last 50 messages on join and recovers exactly what was missed, by id', async () => {
    const talker = await TestClient.connect(server.wsUrl('recover'));
    await talker.nextText('history');
    for (let i = 1; i <= 60; i++) talker.send({ type: 'chat', text: `msg ${i}` });
    for (let i = 1; i <= 60; i++) assert.equal((await talker.nextText('chat')).id, i);

    const fresh = await TestClient.connect(server.wsUrl('recover'));
    const welcome = await fresh.nextText('welcome');
    const h = await fresh.nextText('history');
    assert.equal(h.messages.length, 50);
    assert.deepEqual([h.messages[0]!.id, h.messages.at(-1)!.id, h.latestId], [11, 60, 60]);
    assert.equal(h.chatEpoch, welcome.chatEpoch);

    // A reconnecting client names the last id it has and gets exactly the rest.
    const back = await TestClient.connect(server.wsUrl('recover', { since: 55 }));
    const h2 = await back.nextText('history');
    assert.deepEqual(h2.messages.map((m) => m.id), [56, 57, 58, 59, 60]);
    assert.equal(h2.truncated, false);

    // And over an open connection, after noticing a gap.
    back.send({ type: 'history', since: 20 });
    const h3 = await back.nextText('history');
    assert.deepEqual([h3.messages.length, h3.messages[0]!.id], [40, 21]);
    back.send({ type: 'history', since: -1 });
    assert.equal((await back.nextText('error')).code, 'BAD_SINCE');
    await Promise.all([talker, fresh, back].map((c) => c.close()));
  });

  it('refuses empty, too long and too fast chat with their codes, and keeps the rest', async () => {
    const strict = await startTestServer({ maxChatLength: '10', chatRate: '1', chatBurst: '3' });
    try {
      const c = await TestClient.connect(strict.wsUrl('limits'));
      const other = await TestClient.connect(strict.wsUrl('limits'));
      await other.nextText('history');
      c.send({ type: 'chat', text: '   ' });
      assert.equal((await c.nextText('error')).code, 'CHAT_EMPTY');
      c.send({ type: 'chat', text: 'x'.repeat(11) });
      assert.equal((await c.nextText('error')).code, 'CHAT_TOO_LONG');
      c.send({ type: 'chat', text: 42 });
      assert.equal((await c.nextText('error')).code, 'BAD_MESSAGE');
      for (let i = 0; i < 10; i++) c.send({ type: 'chat', text: `flood ${i}` });
      const err = await c.nextText('error');
      assert.equal(err.code, 'CHAT_RATE_LIMITED');
      // Exactly the burst got through, in order, to everyone.
      const got = [];
      for (let i = 0; i < 3; i++) got.push((await other.nextText('chat')).text);
      assert.deepEqual(got, ['flood 0', 'flood 1', 'flood 2']);
      c.send({ type: 'ping', t: 5 });
      const pong = await c.nextText('pong');
      assert.equal(pong.t, 5);
      await Promise.all([c.close(), other.close()]);
    } finally {
      await strict.stop();
    }
  });

  it('coalesces presence: a burst of joins yields one update with the final count', async () => {
    const watcher = await TestClient.connect(server.wsUrl('crowd'));
    await watcher.nextText('history');
    const crowd = await Promise.all(Array.from({ length: 30 }, () => TestClient.connect(server.wsUrl('crowd'))));
    const p = await watcher.nextText('presence');
    assert.equal(p.viewers, 31);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(watcher.texts('presence').length <= 2, 'joins are coalesced');
    await Promise.all(crowd.map((c) => c.close()));
    let last = p;
    while (last.viewers !== 1) last = await watcher.nextText('presence');
    await watcher.close();
  });
});
