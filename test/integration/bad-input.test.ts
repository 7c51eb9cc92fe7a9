import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeFrame, fakeJpeg } from '../helpers/jpeg.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const MAX_FRAME = 64 * 1024;

describe('bad input is refused with its code while everyone else keeps receiving', () => {
  let server: TestServer;
  let cam: TestClient;
  let viewer: TestClient;
  let seq = 0;

  /** Sends a good frame and checks the viewer gets it: the stream survived whatever came before. */
  async function streamStillFlows(): Promise<void> {
    seq++;
    cam.send(fakeFrame(seq, 3000));
    for (;;) {
      const f = await viewer.nextFrame();
      if (f.seq === seq) return;
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ maxFrameBytes: String(MAX_FRAME), maxFps: '10', maxTextBytes: '1024' });
    cam = await TestClient.connect(server.wsUrl('bad', { role: 'broadcaster', key: server.key('bad') }));
    viewer = await TestClient.connect(server.wsUrl('bad'));
    await Promise.all([cam.nextText('history'), viewer.nextText('history')]);
  });
  afterAll(async () => {
    await Promise.all([cam.close(), viewer.close()]);
    await server.stop();
  });

  const frameCases: [string, () => Uint8Array, string][] = [
    ['a malformed frame', () => new Uint8Array([1, 0, 24, 0, 9]), 'FRAME_MALFORMED'],
    ['an unknown kind', () => Object.assign(fakeFrame(1), { 0: 9 }), 'FRAME_MALFORMED'],
    ['a non-JPEG payload', () => encodeFrame(new TextEncoder().encode('GIF89a.............'), 1, 0), 'FRAME_NOT_JPEG'],
    ['a truncated JPEG', () => fakeFrame(1, 5000).subarray(0, 3000), 'FRAME_NOT_JPEG'],
    ['an oversize frame', () => encodeFrame(fakeJpeg(MAX_FRAME), 1, 0), 'FRAME_TOO_LARGE'],
  ];
  for (const [what, make, code] of frameCases) {
    it(`refuses ${what} with ${code}`, async () => {
      await streamStillFlows();
      cam.send(make());
      const err = await cam.nextText('error');
      assert.equal(err.code, code);
      assert.equal(typeof err.message, 'string');
      await new Promise((r) => setTimeout(r, 1000)); // errors of one code are reported at most once a second
      await streamStillFlows();
    });
  }

  it('refuses frames from a viewer with NOT_ALLOWED and does not relay them', async () => {
    viewer.send(fakeFrame(999));
    assert.equal((await viewer.nextText('error')).code, 'NOT_ALLOWED');
    await streamStillFlows();
    assert.ok(!viewer.frames().some((f) => f.seq === 999));
  });

  it('refuses bad JSON, unknown types and oversize text with their codes', async () => {
    const other = await TestClient.connect(server.wsUrl('bad'));
    await other.nextText('history');
    const cases: [string, string][] = [
      ['{not json', 'BAD_JSON'],
      ['{"type":"dance"}', 'UNKNOWN_TYPE'],
      [JSON.stringify({ type: 'chat', text: 'x'.repeat(2000) }), 'MESSAGE_TOO_LARGE'],
      [JSON.stringify({ type: 'quality', quality: 'ultra' }), 'BAD_QUALITY'],
    ];
    for (const [text, code] of cases) {
      other.send(text);
      assert.equal((await other.nextText('error')).code, code, text);
    }
    await streamStillFlows();
    await other.close();
    const arrays = await TestClient.connect(server.wsUrl('bad'));
    arrays.send('[1,2]');
    assert.equal((await arrays.nextText('error')).code, 'BAD_JSON');
    await arrays.close();
  });

  it('drops frames over MAX_FPS with FRAME_RATE_LIMITED and counts them', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 40; i++) cam.send(fakeFrame(10_000 + i, 500));
    const err = await cam.nextText('error');
    assert.equal(err.code, 'FRAME_RATE_LIMITED');
    cam.send({ type: 'ping', t: 1 });
    await cam.nextText('pong');
    const relayed = viewer.frames().filter((f) => f.seq >= 10_000).length;
    assert.ok(relayed >= 3 && relayed < 40, `burst allowance relayed, the rest dropped (${relayed})`);
    await new Promise((r) => setTimeout(r, 1100));
    await streamStillFlows();
  });

  it('answers a frame far over the frame limit, but within the transport limit, with FRAME_TOO_LARGE and keeps the connection', async () => {
    const rogue = await TestClient.connect(server.wsUrl('bad', { role: 'broadcaster', key: server.key('bad') }));
    await rogue.nextText('welcome');
    // The rogue took over; the original camera was closed with 4501.
    assert.equal(await cam.waitClose(), 4501);
    cam = rogue;
    cam.send(encodeFrame(fakeJpeg(MAX_FRAME * 4), 1, 0));
    assert.equal((await cam.nextText('error')).code, 'FRAME_TOO_LARGE');
    await streamStillFlows();
  });

  it('closes with 4500 a connection that keeps sending garbage', async () => {
    const spammer = await TestClient.connect(server.wsUrl('bad'));
    for (let i = 0; i < 30; i++) spammer.send('garbage');
    assert.equal(await spammer.waitClose(), 4500);
    assert.ok(spammer.texts('error').length >= 1);
    await streamStillFlows();
  });
});
