import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';
import { fakeFrame } from '../helpers/jpeg.js';

describe('frame relay', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('fans frames out to many viewers with seq, capturedAt and a server relayedAt', async () => {
    const viewers = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(server.wsUrl('fanout'))));
    for (const v of viewers) await v.nextText('history');
    const cam = await TestClient.connect(server.wsUrl('fanout', { role: 'broadcaster', key: server.key('fanout') }));
    await cam.nextText('welcome');
    const before = Date.now();
    for (let seq = 1; seq <= 5; seq++) cam.send(fakeFrame(seq, 2000, 1234.5 + seq));
    for (const v of viewers) {
      for (let seq = 1; seq <= 5; seq++) {
        const f = await v.nextFrame();
        assert.equal(f.seq, seq);
        assert.equal(f.capturedAt, 1234.5 + seq);
        assert.ok(f.relayedAt >= before && f.relayedAt <= Date.now(), 'relayedAt is the server clock');
        assert.equal(f.bytes.length, 24 + 2000);
      }
    }
    await Promise.all([cam, ...viewers].map((c) => c.close()));
  });

  it('gives a late joiner welcome, history and the last frame at once', async () => {
    const cam = await TestClient.connect(server.wsUrl('late', { role: 'broadcaster', key: server.key('late'), name: 'Cam' }));
    await cam.nextText('welcome');
    cam.send({ type: 'chat', text: 'hello <b>world</b>' });
    await cam.nextText('chat');
    cam.send(fakeFrame(41, 500));
    cam.send(fakeFrame(42, 500));
    // The broadcaster's own chat echo proves the server has processed what came before.
    cam.send({ type: 'chat', text: 'sync' });
    await cam.nextText('chat');

    const t0 = Date.now();
    const late = await TestClient.connect(server.wsUrl('late'));
    const first = await late.next();
    const second = await late.next();
    const third = await late.next();
    assert.equal(first.kind === 'text' && first.msg.type, 'welcome');
    assert.equal(second.kind === 'text' && second.msg.type, 'history');
    assert.equal(third.kind, 'frame');
    assert.equal(third.kind === 'frame' && third.frame.seq, 42);
    assert.ok(Date.now() - t0 < 1000);
    const welcome = first.kind === 'text' && first.msg.type === 'welcome' ? first.msg : assert.fail('no welcome');
    assert.equal(welcome.live, true);
    assert.equal(welcome.room, 'late');
    assert.equal(welcome.protocol, 1);
    assert.equal(welcome.limits.maxFrameBytes, 1024 * 1024);
    const history = second.kind === 'text' && second.msg.type === 'history' ? second.msg : assert.fail('no history');
    assert.deepEqual(
      history.messages.map((m) => m.text),
      ['hello <b>world</b>', 'sync'],
    );
    assert.equal(history.messages[0]!.from.name, 'Cam');
    await Promise.all([cam.close(), late.close()]);
  });
});
