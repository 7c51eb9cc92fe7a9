import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { noopTelemetry, type Telemetry } from '../../src/core/telemetry.js';
import { encodeFrame, type ErrorCode } from '../../src/protocol/index.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { COMMENT_SEGMENT, EXIF_SEGMENT, SECRETS, XMP_SEGMENT, beforeScan, jpegMarkers, segment, withSegments } from '../helpers/jpeg-markers.js';
import { hasSegment, jpegInfo, realJpeg } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('no metadata leaves the server', () => {
  let server: TestServer;
  let cam: TestClient;
  let viewer: TestClient;
  let seq = 0;
  const rejected: ErrorCode[] = [];
  const telemetry: Telemetry = { ...noopTelemetry, frameRejected: (code) => rejected.push(code) };

  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240', qualityTiers: '' }, { telemetry });
    cam = await server.broadcaster('meta');
    viewer = await TestClient.connect(server.wsUrl('meta'));
    await viewer.nextText('history');
  });
  afterAll(async () => {
    await Promise.all([cam.close(), viewer.close()]);
    await server.stop();
  });

  /** Sends a JPEG and returns the viewer's copy of it. */
  async function relayed(jpeg: Uint8Array): Promise<Buffer> {
    const mine = ++seq;
    cam.send(encodeFrame(jpeg, mine, Date.now()));
    for (;;) {
      const f = await viewer.nextFrame();
      if (f.seq === mine) return f.bytes.subarray(24);
    }
  }

  it('relays a camera JPEG with EXIF, XMP and a comment, stripped of all three', async () => {
    const jpeg = withSegments(await realJpeg(320, 240, 1, { exif: true }), XMP_SEGMENT, COMMENT_SEGMENT);
    assert.ok(hasSegment(jpeg, 0xe1, 'Exif') && jpeg.includes('SecretCam') && jpeg.includes('xmpmeta'));
    const got = await relayed(jpeg);
    for (const s of SECRETS) assert.ok(!got.includes(s), s);
    assert.deepEqual(await jpegInfo(got), { width: 320, height: 240, hasExif: false });
  });

  it('strips metadata between the scans of a progressive JPEG and after its end', async () => {
    const jpeg = await realJpeg(96, 64, 2, { progressive: true });
    const input = Buffer.concat([beforeScan(jpeg, 2, EXIF_SEGMENT, COMMENT_SEGMENT), Buffer.from('SecretCam trailer\xff\xd9', 'latin1')]);
    const got = await relayed(input);
    assert.ok(got.equals(jpeg), 'exactly the picture without its metadata');
  });

  it('refuses a JPEG with 600 segments before its EXIF with FRAME_UNSAFE, and relays nothing of it', async () => {
    const jpeg = await realJpeg(64, 48, 3, { exif: true });
    const padding = Array.from({ length: 600 }, (_, i) => segment(0xfe, `pad ${i}`));
    const hostile = withSegments(jpeg, ...padding, EXIF_SEGMENT);
    assert.ok(jpegMarkers(hostile).length > 600);
    const hostileSeq = ++seq;
    cam.send(encodeFrame(hostile, hostileSeq, Date.now()));
    const err = await cam.nextText('error');
    assert.equal(err.code, 'FRAME_UNSAFE');
    assert.match(err.message, /metadata/);
    assert.deepEqual(rejected, ['FRAME_UNSAFE']);
    // The stream goes on, and the refused frame never reached the viewer.
    const next = await relayed(await realJpeg(64, 48, 4));
    assert.ok(!next.includes('SecretCam'));
    assert.ok(!viewer.frames().some((f) => f.seq === hostileSeq));
    const snapshot = Buffer.from(await (await fetch(server.httpUrl('/api/rooms/meta/snapshot.jpg'))).arrayBuffer());
    assert.ok(!snapshot.includes('SecretCam') && !snapshot.includes('pad 1'));
  });

  it('counts unsafe frames as invalid messages: a broadcaster that keeps sending them is closed with 4500', async () => {
    const unsafe = encodeFrame(withSegments(fakeFrame(1).subarray(24), segment(0xf0, 'x')), 1, 1);
    for (let i = 0; i < 25; i++) cam.send(unsafe);
    assert.equal(await cam.waitClose(), 4500);
    assert.ok(rejected.filter((c) => c === 'FRAME_UNSAFE').length > 20);
  });
});
