import assert from 'node:assert/strict';
import { test } from 'node:test';
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
    const skipped = server.rooms.get('slow')!.channel('source')!.skipped;
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
