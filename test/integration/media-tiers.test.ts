import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { CountingEncoder, countingTelemetry, hasSegment, jpegInfo, jpegQuality, realJpeg, until } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('quality tiers', () => {
  let server: TestServer;
  const encoder = new CountingEncoder();
  const telemetry = countingTelemetry();
  let hd: Buffer[];

  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240' }, { jpegEncoder: encoder.encode, telemetry });
    hd = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((v) => realJpeg(1280, 720, v)));
  });
  afterAll(async () => {
    await server.stop();
  });

  const camera = (room: string) => server.broadcaster(room);
  async function viewer(room: string, quality?: string): Promise<TestClient> {
    const v = await TestClient.connect(server.wsUrl(room, quality ? { quality } : {}));
    await v.nextText('history');
    return v;
  }
  /** Resolves once the server has processed everything the camera sent before. */
  const barrier = (cam: TestClient) => cam.sync();
  const encodes = (room: string) => server.media.stats(server.rooms.get(room)!);

  it('gives each tier its width and JPEG quality, with the source header (seq, capturedAt, relayedAt)', async () => {
    const cam = await camera('tiers');
    const [src, sd, thumb] = await Promise.all([viewer('tiers'), viewer('tiers', 'sd'), viewer('tiers', 'thumb')]);
    cam.send(encodeFrame(hd[0]!, 11, 4242.5));
    const frames = await Promise.all([src.nextFrame(), sd.nextFrame(), thumb.nextFrame()]);
    const [fs, fsd, fth] = frames;
    for (const f of frames) {
      assert.equal(f.seq, 11);
      assert.equal(f.capturedAt, 4242.5);
      assert.equal(f.relayedAt, fs.relayedAt);
    }
    assert.deepEqual(await jpegInfo(fs.bytes.subarray(24)), { width: 1280, height: 720, hasExif: false });
    assert.deepEqual(await jpegInfo(fsd.bytes.subarray(24)), { width: 640, height: 360, hasExif: false });
    assert.deepEqual(await jpegInfo(fth.bytes.subarray(24)), { width: 160, height: 90, hasExif: false });
    assert.equal(jpegQuality(fsd.bytes.subarray(24)), 60);
    assert.equal(jpegQuality(fth.bytes.subarray(24)), 50);
    assert.ok(fsd.bytes.length < fs.bytes.length / 2);
    // Cascade: only sd decodes the 1280 px source; thumb decodes sd's output.
    const last = (w: number) => encoder.inputs.filter((i) => i.maxWidth === w).at(-1)!.bytes;
    assert.equal(last(640), fs.bytes.length - 24);
    assert.equal(last(160), fsd.bytes.length - 24);
    await Promise.all([cam, src, sd, thumb].map((c) => c.close()));
  });

  it('encodes nothing for a tier nobody watches, and starts at once when someone does', async () => {
    const cam = await camera('idle');
    const src = await viewer('idle');
    for (let seq = 1; seq <= 4; seq++) {
      cam.send(encodeFrame(hd[seq]!, seq, Date.now()));
      assert.equal((await src.nextFrame()).seq, seq);
    }
    assert.deepEqual(encodes('idle'), {}, 'no encoder ever ran');
    const sd = await viewer('idle', 'sd');
    const first = await sd.nextFrame();
    assert.equal(first.seq, 4, 'a late sd viewer gets the newest frame, encoded on demand');
    cam.send(encodeFrame(hd[5]!, 5, Date.now()));
    assert.equal((await sd.nextFrame()).seq, 5);
    assert.deepEqual(encodes('idle'), { sd: { encodes: 2, failures: 0 } }, 'thumb never encoded');
    // Switching tiers without reconnecting moves the consumer: sd goes idle, thumb starts.
    sd.send({ type: 'quality', quality: 'thumb' });
    await sd.nextText('quality');
    assert.equal((await sd.nextFrame()).seq, 5);
    cam.send(encodeFrame(hd[6]!, 6, Date.now()));
    assert.equal((await sd.nextFrame()).seq, 6);
    assert.deepEqual(encodes('idle'), { sd: { encodes: 2, failures: 0 }, thumb: { encodes: 2, failures: 0 } });
    await Promise.all([cam, src, sd].map((c) => c.close()));
  });

  it('encodes each frame once per tier however many viewers watch it', async () => {
    const cams = { one: await camera('few'), many: await camera('many') };
    const viewers = {
      one: [await viewer('few', 'sd')],
      many: await Promise.all(Array.from({ length: 25 }, () => viewer('many', 'sd'))),
    };
    for (const room of ['one', 'many'] as const) {
      for (let seq = 1; seq <= 4; seq++) {
        cams[room].send(encodeFrame(hd[seq]!, seq, Date.now()));
        for (const v of viewers[room]) assert.equal((await v.nextFrame()).seq, seq);
      }
    }
    assert.deepEqual(encodes('few'), { sd: { encodes: 4, failures: 0 } });
    assert.deepEqual(encodes('many'), { sd: { encodes: 4, failures: 0 } });
    await Promise.all([...Object.values(cams), ...viewers.one, ...viewers.many].map((c) => c.close()));
  });

  it('keeps only the newest frame waiting while the encoder is slow (latest wins)', async () => {
    const cam = await camera('slow');
    const sd = await viewer('slow', 'sd');
    const busyBefore = telemetry.skips.encoder_busy ?? 0;
    encoder.holding = true;
    for (let seq = 1; seq <= 6; seq++) cam.send(encodeFrame(hd[seq]!, seq, Date.now()));
    await barrier(cam);
    await until(() => encoder.held === 1, 'the first encode to start');
    encoder.release();
    assert.equal((await sd.nextFrame()).seq, 1);
    assert.equal((await sd.nextFrame()).seq, 6);
    await barrier(cam);
    assert.deepEqual(
      sd.frames().map((f) => f.seq),
      [1, 6],
    );
    assert.equal((telemetry.skips.encoder_busy ?? 0) - busyBefore, 4, 'frames 2-5 replaced while waiting');
    await Promise.all([cam, sd].map((c) => c.close()));
  });

  it('drops a corrupt frame for the tier, counts it, and keeps streaming', async () => {
    const cam = await camera('corrupt');
    const [src, sd] = await Promise.all([viewer('corrupt'), viewer('corrupt', 'sd')]);
    const failedBefore = telemetry.failed.sd ?? 0;
    cam.send(encodeFrame(hd[1]!, 1, Date.now()));
    assert.equal((await sd.nextFrame()).seq, 1);
    cam.send(encodeFrame(fakeJpeg(3000), 2, Date.now())); // SOI ... EOI, but not a picture
    await until(() => (telemetry.failed.sd ?? 0) > failedBefore, 'the failure to be counted');
    cam.send(encodeFrame(hd[3]!, 3, Date.now()));
    assert.equal((await sd.nextFrame()).seq, 3);
    assert.deepEqual(
      [(await src.nextFrame()).seq, (await src.nextFrame()).seq, (await src.nextFrame()).seq],
      [1, 2, 3],
      'source relays all three',
    );
    assert.equal((telemetry.failed.sd ?? 0) - failedBefore, 1);
    await Promise.all([cam, src, sd].map((c) => c.close()));
  });

  it('strips EXIF (with GPS) from every tier, source included', async () => {
    const cam = await camera('exif');
    const [src, sd] = await Promise.all([viewer('exif'), viewer('exif', 'sd')]);
    const withExif = await realJpeg(1280, 720, 2, { exif: true });
    assert.ok(hasSegment(withExif, 0xe1, 'Exif') && withExif.includes('SecretCam'));
    cam.send(encodeFrame(withExif, 1, Date.now()));
    for (const f of [await src.nextFrame(), await sd.nextFrame()]) {
      const jpeg = f.bytes.subarray(24);
      assert.ok(!hasSegment(jpeg, 0xe1, 'Exif'));
      assert.ok(!jpeg.includes('SecretCam'));
      assert.equal((await jpegInfo(jpeg)).hasExif, false);
    }
    await Promise.all([cam, src, sd].map((c) => c.close()));
  });
});

describe('SOURCE_MAX_WIDTH', () => {
  it('downscales wider broadcaster frames before anyone sees them', async () => {
    const server = await startTestServer({ sourceMaxWidth: '640' });
    try {
      const cam = await TestClient.connect(server.wsUrl('cap', { role: 'broadcaster', key: server.key('cap') }));
      await cam.nextText('welcome');
      const v = await TestClient.connect(server.wsUrl('cap'));
      await v.nextText('history');
      cam.send(encodeFrame(await realJpeg(1280, 720, 1), 1, 99));
      const f = await v.nextFrame();
      assert.equal(f.seq, 1);
      assert.equal(f.capturedAt, 99);
      assert.equal((await jpegInfo(f.bytes.subarray(24))).width, 640);
      cam.send(encodeFrame(await realJpeg(320, 240, 2), 2, 100));
      const small = await v.nextFrame();
      assert.equal(small.seq, 2);
      assert.equal((await jpegInfo(small.bytes.subarray(24))).width, 320, 'narrower frames pass as sent');
      await Promise.all([cam, v].map((c) => c.close()));
    } finally {
      await server.stop();
    }
  });
});
