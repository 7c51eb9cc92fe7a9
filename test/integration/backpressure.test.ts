import assert from 'node:assert/strict';
import { test } from 'vitest';
import { noopTelemetry } from '../../src/core/telemetry.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { startTestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const FRAME = 100 * 1024;
const FRAMES = 300;

test('a viewer that stops reading skips frames: others get every frame, server memory stays bounded', async () => {
  const server = await startTestServer({ maxFps: '240' });
  try {
    const cam = await TestClient.connect(server.wsUrl('slow', { role: 'broadcaster', key: server.key('slow') }));
    const fast = await TestClient.connect(server.wsUrl('slow'));
    const slow = await TestClient.connect(server.wsUrl('slow'));
    await Promise.all([cam.nextText('history'), fast.nextText('history'), slow.nextText('history')]);
    slow.ws.pause(); // stops reading from its socket: the kernel buffers fill, then the server's

    let maxBuffered = 0;
    for (let seq = 1; seq <= FRAMES; seq++) {
      cam.send(fakeFrame(seq, FRAME));
      if (seq % 10 === 0) {
        await new Promise((r) => setTimeout(r, 40));
        maxBuffered = Math.max(maxBuffered, server.ws.bufferedBytes());
      }
    }
    let last = 0;
    while (last < FRAMES) last = (await fast.nextFrame(5000)).seq;

    const fastSeqs = fast.frames().map((f) => f.seq);
    assert.ok(fastSeqs.length >= FRAMES * 0.95, `the reading viewer got ${fastSeqs.length}/${FRAMES} frames`);
    assert.deepEqual(fastSeqs, [...fastSeqs].sort((a, b) => a - b), 'in order');
    const skipped = server.rooms.get('slow')!.frames.channel('source')!.skipped;
    assert.ok(skipped > FRAMES / 2, `the stalled viewer skipped frames instead of queueing them (${skipped})`);
    // Whatever the kernel holds aside, user-space buffering is at most about one frame per stalled socket.
    assert.ok(maxBuffered <= 2 * (FRAME + 24), `server-side buffered bytes stayed bounded (${maxBuffered})`);

    // Chat still reaches the stalled viewer once it reads again: nothing accepted is lost.
    cam.send({ type: 'chat', text: 'still there?' });
    await fast.nextText('chat');
    slow.ws.resume();
    const m = await slow.nextText('chat', 5000);
    assert.equal(m.text, 'still there?');
    const slowSeqs = slow.frames().map((f) => f.seq);
    assert.ok(slowSeqs.length < FRAMES, 'the stalled viewer did not get a queue of stale frames');
    await Promise.all([cam.close(), fast.close(), slow.close()]);
  } finally {
    await server.stop();
  }
});

test('a viewer so far behind that chat cannot be queued is closed, to reconnect and recover by id', async () => {
  const closed: string[] = [];
  const telemetry = { ...noopTelemetry, connectionClosed: (_role: string, reason: string) => void closed.push(reason) };
  const server = await startTestServer({ maxFps: '240', wsMaxBackpressure: String(64 * 1024), chatRate: '100', chatBurst: '100' }, { telemetry });
  try {
    const cam = await TestClient.connect(server.wsUrl('stuck', { role: 'broadcaster', key: server.key('stuck') }));
    const stuck = await TestClient.connect(server.wsUrl('stuck'));
    await Promise.all([cam.nextText('history'), stuck.nextText('history')]);
    stuck.ws.pause();
    // Large frames fill the kernel's buffers, then leave a partial frame queued in user space,
    // above WS_MAX_BACKPRESSURE: from then on a text message cannot be queued for this viewer.
    for (let seq = 1; seq <= 60 && server.ws.bufferedBytes() <= 64 * 1024; seq++) {
      cam.send(fakeFrame(seq, 512 * 1024));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(server.ws.bufferedBytes() > 64 * 1024, 'the stalled viewer holds more than the limit');
    cam.send({ type: 'chat', text: 'you will get this one after reconnecting' });
    const posted = await cam.nextText('chat');
    stuck.ws.resume();
    // 4001 when the close frame still fits; a peer that far behind usually sees only the reset (1006).
    assert.ok([4001, 1006].includes(await stuck.waitClose(10_000)));
    assert.deepEqual(closed, ['slow_consumer']);
    const back = await TestClient.connect(server.wsUrl('stuck', { since: posted.id - 1 }));
    const h = await back.nextText('history');
    assert.deepEqual(h.messages.map((m) => m.text), ['you will get this one after reconnecting']);
    await Promise.all([cam.close(), back.close()]);
  } finally {
    await server.stop();
  }
});
