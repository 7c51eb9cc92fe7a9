import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import { encodeFrame, encodeTierFrame, type DemandMessage } from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { CountingEncoder, hasSegment, jpegInfo, realJpeg, until } from '../helpers/media.js';
import { parseProm, valueOf } from '../helpers/prom-text.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const names = (d: DemandMessage) => d.tiers.map((t) => t.name);

/** A fake JPEG of `width`×`height` with a reserved marker (JPG0) after its SOF: it cannot be stripped safely. */
function unsafeJpeg(width: number, height: number): Uint8Array {
  const ok = fakeJpeg(200, width, height);
  const sofEnd = 2 + 2 + 0x11;
  return new Uint8Array([...ok.subarray(0, sofEnd), 0xff, 0xf0, 0x00, 0x04, 0x00, 0x00, ...ok.subarray(sofEnd)]);
}

describe('tiers encoded by the broadcaster (edge tiers)', () => {
  let server: TestServer;
  const encoder = new CountingEncoder();
  const metrics = createMetrics({ qualities: ['source', 'sd', 'thumb'] });
  let hd: Buffer[];
  let sd: Buffer[];
  let thumb: Buffer[];

  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240' }, { jpegEncoder: encoder.encode, telemetry: metrics.telemetry, http: metrics.http });
    hd = await Promise.all([0, 1, 2, 3].map((v) => realJpeg(1280, 720, v)));
    sd = await Promise.all([0, 1, 2, 3].map((v) => realJpeg(640, 360, v, { exif: true })));
    thumb = await Promise.all([0, 1, 2, 3].map((v) => realJpeg(160, 90, v)));
  });
  afterAll(async () => {
    await server.stop();
  });

  async function viewer(room: string, quality?: string): Promise<TestClient> {
    const v = await TestClient.connect(server.wsUrl(room, quality ? { quality } : {}));
    await v.nextText('history');
    return v;
  }
  /** A broadcaster past welcome, history and its first `demand`. */
  async function camera(room: string): Promise<{ cam: TestClient; demand: DemandMessage }> {
    const cam = await server.broadcaster(room);
    await cam.nextText('history');
    return { cam, demand: await cam.nextText('demand') };
  }
  const metric = async (name: string, labels: Record<string, string>) => valueOf(parseProm(await (await fetch(server.httpUrl('/metrics'))).text()), name, labels);

  it('tells the broadcaster which tiers someone consumes, with width and quality, as WebSocket and MJPEG viewers come and go', async () => {
    const { cam, demand } = await camera('demand');
    assert.deepEqual(demand.tiers, [], 'nobody watches a tier yet: an empty demand right after welcome');
    cam.send(encodeFrame(hd[0]!, 1, Date.now()));
    const sdViewer = await viewer('demand', 'sd');
    assert.deepEqual((await cam.nextText('demand')).tiers, [{ name: 'sd', maxWidth: 640, quality: 60 }]);
    const mjpeg = new AbortController();
    const res = await fetch(server.httpUrl('/api/rooms/demand/stream.mjpg?quality=thumb'), { signal: mjpeg.signal });
    assert.equal(res.status, 200);
    assert.deepEqual(names(await cam.nextText('demand')), ['sd', 'thumb'], 'an MJPEG client counts, widest tier first');
    await sdViewer.close();
    assert.deepEqual(names(await cam.nextText('demand')), ['thumb']);
    mjpeg.abort();
    assert.deepEqual(names(await cam.nextText('demand')), []);
    await cam.close();
  });

  it('relays the tiers the broadcaster sends with the plain header and no metadata, and encodes none of them itself', async () => {
    const { cam } = await camera('edge');
    const [src, sdV, thumbV] = await Promise.all([viewer('edge'), viewer('edge', 'sd'), viewer('edge', 'thumb')]);
    await until(() => cam.texts('demand').some((d) => names(d).join() === 'sd,thumb'), 'demand for sd and thumb');
    cam.send({ type: 'encoding', tiers: ['sd', 'thumb'] });
    const before = encoder.total;
    for (let seq = 1; seq <= 3; seq++) {
      const at = 1000 + seq;
      cam.send(encodeFrame(hd[seq]!, seq, at));
      cam.send(encodeTierFrame(sd[seq]!, 'sd', seq, at));
      cam.send(encodeTierFrame(thumb[seq]!, 'thumb', seq, at));
      const [fs, fsd, fth] = await Promise.all([src.nextFrame(), sdV.nextFrame(), thumbV.nextFrame()]);
      for (const f of [fs, fsd, fth]) assert.deepEqual([f.seq, f.capturedAt, f.flags, f.headerLen], [seq, at, 0, 24]);
      assert.deepEqual(await jpegInfo(fsd.bytes.subarray(24)), { width: 640, height: 360, hasExif: false });
      assert.ok(!hasSegment(fsd.bytes.subarray(24), 0xe1, 'Exif') && !fsd.bytes.includes('SecretCam'), 'EXIF stripped');
      assert.deepEqual(await jpegInfo(fth.bytes.subarray(24)), { width: 160, height: 90, hasExif: false });
    }
    await cam.sync();
    assert.equal(encoder.total, before, 'the server encoded nothing');
    assert.deepEqual(server.media.stats(server.rooms.get('edge')!), {});
    assert.equal(await metric('beamcast_tier_frames_total', { quality: 'sd', origin: 'edge' }), 3);
    assert.equal(await metric('beamcast_tiers', { quality: 'sd', origin: 'edge' }), 1);
    assert.equal(await metric('beamcast_tiers', { quality: 'thumb', origin: 'server' }), 0);
    // A snapshot of an edge tier is its newest edge frame.
    const snap = await fetch(server.httpUrl('/api/rooms/edge/snapshot.jpg?quality=sd'));
    assert.equal(snap.headers.get('x-frame-seq'), '3');
    await snap.arrayBuffer();
    assert.equal(encoder.total, before);
    await Promise.all([cam, src, sdV, thumbV].map((c) => c.close()));
  });

  it('refuses tier frames that are not announced, of no tier, too large for their tier, or unsafe, and keeps each tier to its own rate', async () => {
    const { cam } = await camera('refuse');
    // What was refused, by code: `error` messages are throttled per code, the counters are not.
    const codes = ['TIER_NOT_ANNOUNCED', 'TIER_FRAME_SIZE', 'FRAME_UNSAFE', 'BAD_QUALITY', 'FRAME_MALFORMED'] as const;
    const errors = async (send: () => void) => {
      const before = codes.map((c) => metrics.telemetry.rejected.value(c));
      send();
      await cam.sync();
      return codes.flatMap((c, i) => Array.from({ length: metrics.telemetry.rejected.value(c) - before[i]! }, () => c));
    };
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 640, 360), 'sd', 1, 1))), ['TIER_NOT_ANNOUNCED']);
    cam.send({ type: 'encoding', tiers: ['sd'] });
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 640, 360), 'sd', 1, 1))), ['TIER_FRAME_SIZE'], 'before any source frame');
    cam.send(encodeFrame(hd[0]!, 1, 1));
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 640, 360), 'sd', 1, 1))), [], 'fits');
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 800, 450), 'sd', 2, 1))), ['TIER_FRAME_SIZE'], 'wider than sd');
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 640, 640), 'sd', 4, 1))), ['TIER_FRAME_SIZE'], 'taller than 16:9');
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(unsafeJpeg(640, 360), 'sd', 5, 1))), ['FRAME_UNSAFE']);
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 160, 90), 'thumb', 6, 1))), ['TIER_NOT_ANNOUNCED']);
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 160, 90), 'hd', 7, 1))), ['BAD_QUALITY']);
    assert.deepEqual(await errors(() => cam.send(encodeTierFrame(fakeJpeg(500, 160, 90), 'source', 8, 1))), ['BAD_QUALITY']);
    const badTag = encodeTierFrame(fakeJpeg(500, 160, 90), 'sd', 9, 1);
    badTag[24] = 40;
    assert.deepEqual(await errors(() => cam.send(badTag)), ['FRAME_MALFORMED']);
    await cam.close();
    // The announcement names offered tiers, in a list; only the broadcaster makes one.
    const { cam: other } = await camera('refuse');
    other.send({ type: 'encoding', tiers: ['sd', 'nope'] });
    other.send({ type: 'encoding', tiers: 'sd' });
    await other.sync();
    assert.deepEqual(other.texts('error').map((e) => e.code), ['BAD_QUALITY', 'BAD_MESSAGE']);
    const v = await viewer('refuse', 'sd');
    v.send({ type: 'encoding', tiers: ['sd'] });
    await v.sync();
    assert.deepEqual(v.texts('error').map((e) => e.code), ['NOT_ALLOWED']);
    await Promise.all([other, v].map((c) => c.close()));

    // Each tier has MAX_FPS of its own, apart from the source's.
    const slow = await startTestServer({ maxFps: '5' });
    try {
      const c = await slow.broadcaster('rate');
      c.send({ type: 'encoding', tiers: ['sd'] });
      for (let seq = 1; seq <= 5; seq++) {
        c.send(encodeFrame(fakeJpeg(500, 1280, 720), seq, 1));
        c.send(encodeTierFrame(fakeJpeg(300, 640, 360), 'sd', seq, 1));
      }
      await c.sync();
      assert.deepEqual(c.texts('error'), [], 'five of each in a second: within both budgets');
      for (let seq = 6; seq <= 8; seq++) c.send(encodeTierFrame(fakeJpeg(300, 640, 360), 'sd', seq, 1));
      await c.sync();
      assert.deepEqual(c.texts('error').map((e) => e.code), ['FRAME_RATE_LIMITED']);
      await c.close();
    } finally {
      await slow.stop();
    }
  });

  it('takes a tier back at once when the broadcaster stops encoding it, and when its frames stop coming', async () => {
    const { cam } = await camera('back');
    const sdV = await viewer('back', 'sd');
    cam.send({ type: 'encoding', tiers: ['sd'] });
    cam.send(encodeFrame(hd[1]!, 1, 1));
    cam.send(encodeTierFrame(sd[1]!, 'sd', 1, 1));
    assert.equal((await sdV.nextFrame()).seq, 1);
    const before = encoder.count(640);
    cam.send({ type: 'encoding', tiers: [] });
    cam.send(encodeFrame(hd[2]!, 2, 2));
    const f2 = await sdV.nextFrame();
    assert.equal(f2.seq, 2);
    assert.equal(encoder.count(640), before + 1, 'the server made frame 2');
    assert.equal((await jpegInfo(f2.bytes.subarray(24))).width, 640);

    // Announced again: the edge's frames go out, the server stops; then they stop coming.
    cam.send({ type: 'encoding', tiers: ['sd'] });
    cam.send(encodeFrame(hd[3]!, 3, 3));
    cam.send(encodeTierFrame(sd[3]!, 'sd', 3, 3));
    assert.equal((await sdV.nextFrame()).seq, 3);
    const atEdge = encoder.count(640);
    // A 5 fps camera whose tier encoder stalled: the server takes sd back after more than five
    // source frames and a second without an sd frame.
    for (let seq = 4; seq <= 11; seq++) {
      cam.send(encodeFrame(hd[seq % 4]!, seq, seq));
      await new Promise((r) => setTimeout(r, 200));
    }
    const next = await sdV.nextFrame();
    assert.ok(next.seq >= 9, `the server took over at frame ${next.seq}, after the grace`);
    assert.ok(encoder.count(640) > atEdge);
    await Promise.all([cam, sdV].map((c) => c.close()));
  });

  it('gives a viewer of a tier nobody watched a picture at once, from the server, until the edge catches up', async () => {
    const { cam } = await camera('late');
    const src = await viewer('late');
    cam.send(encodeFrame(hd[1]!, 1, 1));
    await src.nextFrame();
    const before = encoder.count(640);
    const t0 = Date.now();
    const sdV = await viewer('late', 'sd');
    const first = await sdV.nextFrame();
    assert.equal(first.seq, 1, 'the newest source frame, recompressed on demand');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(encoder.count(640), before + 1);
    // The broadcaster hears of the demand and starts encoding sd itself.
    assert.deepEqual(names(await cam.nextText('demand')), ['sd']);
    cam.send({ type: 'encoding', tiers: ['sd'] });
    cam.send(encodeFrame(hd[2]!, 2, 2));
    cam.send(encodeTierFrame(sd[2]!, 'sd', 2, 2));
    const second = await sdV.nextFrame();
    assert.equal(second.seq, 2);
    assert.equal(encoder.count(640), before + 1, 'from then on the edge');
    await Promise.all([cam, src, sdV].map((c) => c.close()));
  });

  it('still recompresses every watched tier for a broadcaster that sends no tiers', async () => {
    const { cam, demand } = await camera('old');
    assert.deepEqual(demand.tiers, []);
    const sdV = await viewer('old', 'sd');
    const before = encoder.count(640);
    await cam.nextText('demand');
    for (let seq = 1; seq <= 3; seq++) {
      cam.send(encodeFrame(hd[seq]!, seq, seq));
      assert.equal((await sdV.nextFrame()).seq, seq);
    }
    assert.equal(encoder.count(640), before + 3);
    assert.equal(await metric('beamcast_tiers', { quality: 'sd', origin: 'server' }), 1);
    await Promise.all([cam, sdV].map((c) => c.close()));
  });
});
