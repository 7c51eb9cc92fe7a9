import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, it } from 'vitest';
import { encodeFrame, encodeTierFrame, type DemandMessage } from '../../src/protocol/index.js';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { CountingEncoder, jpegInfo, realJpeg } from '../helpers/media.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const names = (d: DemandMessage) => d.tiers.map((t) => t.name).join(',');

/** Two nodes on one Redis, the broadcaster on the first, viewers on the second. */
describeNeeding(redisSkip(), 'tiers encoded by the broadcaster, across nodes', () => {
  let redis: RedisServer;
  const open: TestClient[] = [];
  const servers: TestServer[] = [];
  const encoders = [new CountingEncoder(), new CountingEncoder()];

  const node = async (i: number) => {
    const s = await startTestServer({ redisUrl: redis.url, redisPrefix: 'edge:', nodeId: `node${i}`, maxFps: '240' }, { jpegEncoder: encoders[i]!.encode });
    servers.push(s);
    return s;
  };
  const client = async (url: string) => {
    const c = await TestClient.connect(url);
    open.push(c);
    await c.nextText('history');
    return c;
  };

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

  it("follows viewers joining and leaving on another node, and relays the broadcaster's tiers to them", async () => {
    const [a, b] = [await node(0), await node(1)];
    const cam = await a.broadcaster('far');
    open.push(cam);
    await cam.nextText('history');
    assert.equal(names(await cam.nextText('demand')), '');
    const hd = await realJpeg(1280, 720, 1);
    const sdJpeg = await realJpeg(640, 360, 1);
    cam.send(encodeFrame(hd, 1, 1));
    await cam.sync();

    // A viewer of sd on node b: node a hears of it and tells the broadcaster.
    const sd = await client(b.wsUrl('far', { quality: 'sd' }));
    const lastDemand = () => names(cam.texts('demand').at(-1)!);
    await waitFor(() => (lastDemand() === 'sd' ? true : undefined), 5000, 'demand for sd from node b');
    cam.send({ type: 'encoding', tiers: ['sd'] });
    const before = encoders[0]!.count(640);
    for (let seq = 2; seq <= 4; seq++) {
      cam.send(encodeFrame(hd, seq, seq));
      cam.send(encodeTierFrame(sdJpeg, 'sd', seq, seq));
      await waitFor(() => sd.frames().find((f) => f.seq === seq), 5000, `edge sd frame ${seq} on node b`);
    }
    const f = sd.frames().at(-1)!;
    assert.deepEqual([f.flags, f.headerLen], [0, 24]);
    assert.equal((await jpegInfo(f.bytes.subarray(24))).width, 640);
    assert.equal(encoders[0]!.count(640), before, 'node a stopped encoding sd');
    assert.equal(encoders[1]!.total, 0, 'node b never encodes');

    // The viewer leaves: the demand goes with it; another joins: it comes back.
    await sd.close();
    await waitFor(() => (lastDemand() === '' ? true : undefined), 8000, 'demand to drop sd');
    const thumb = await client(b.wsUrl('far', { quality: 'thumb' }));
    await waitFor(() => (lastDemand() === 'thumb' ? true : undefined), 5000, 'demand for thumb');
    await thumb.close();
    await waitFor(() => (lastDemand() === '' ? true : undefined), 8000, 'demand to drop thumb');
  });
});
