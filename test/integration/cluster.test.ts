import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { CountingEncoder, jpegInfo, realJpeg } from '../helpers/media.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';
import { parseProm, valueOf } from '../helpers/prom-text.js';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import { encodeFrame } from '../../src/protocol/index.js';

/** Several nodes on one Redis: each an in-process server with its own broker, as separate machines would be. */
describeNeeding(redisSkip(), 'several nodes sharing rooms through Redis', () => {
  let redis: RedisServer;
  let prefix = 0;
  const open: { close(): Promise<void> }[] = [];
  const servers: TestServer[] = [];

  const cluster = async (n: number, overrides: Record<string, string> = {}, encoders: CountingEncoder[] = []) => {
    const p = `cl${++prefix}:`;
    const nodes: TestServer[] = [];
    for (let i = 0; i < n; i++) {
      const metrics = createMetrics();
      const ext = { telemetry: metrics.telemetry, http: metrics.http, ...(encoders[i] ? { jpegEncoder: encoders[i]!.encode } : {}) };
      const s = await startTestServer({ redisUrl: redis.url, redisPrefix: p, nodeId: `node${i}`, maxFps: '240', ...overrides }, ext);
      servers.push(s);
      nodes.push(s);
    }
    return nodes;
  };
  const client = async (url: string) => {
    const c = await TestClient.connect(url);
    open.push(c);
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

  it('relays a broadcaster on one node to viewers on others, and a node new to the room shows a picture at once', async () => {
    const [a, b, c] = await cluster(3);
    const cam = await a!.broadcaster('r');
    const viewerB = await client(b!.wsUrl('r'));
    assert.equal((await viewerB.nextText('welcome')).live, true, 'node b knows the room is live');
    for (let seq = 1; seq <= 5; seq++) cam.send(fakeFrame(seq));
    await waitFor(() => viewerB.frames().find((f) => f.seq === 5), 3000, 'frame 5 on node b');
    const seqs = viewerB.frames().map((f) => f.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in order');

    // Node c has never seen the room: its first viewer still gets the last frame right after welcome.
    const t0 = Date.now();
    const late = await client(c!.wsUrl('r'));
    await late.nextText('welcome');
    const first = await late.nextFrame(2000);
    assert.equal(first.seq, 5);
    assert.ok(Date.now() - t0 < 1000, 'at once');
  });

  it('gives chat global, gapless ids, and a viewer recovers on another node by since', async () => {
    const [a, b, c] = await cluster(3, { chatRate: '100', chatBurst: '100' });
    await (await a!.broadcaster('talk')).nextText('history');
    const va = await client(a!.wsUrl('talk', { name: 'ann' }));
    const vb = await client(b!.wsUrl('talk', { name: 'bob' }));
    await va.nextText('history');
    const hb = await vb.nextText('history');
    va.send({ type: 'chat', text: 'from a' });
    vb.send({ type: 'chat', text: 'from b' });
    const seenA = [await va.nextText('chat'), await va.nextText('chat')];
    const seenB = [await vb.nextText('chat'), await vb.nextText('chat')];
    assert.deepEqual(seenA.map((m) => m.id), [1, 2]);
    assert.deepEqual(seenB, seenA, 'every node shows the same messages with the same ids, in the same order');
    await vb.close();
    for (let i = 0; i < 3; i++) va.send({ type: 'chat', text: `while b was away ${i}` });
    for (let i = 0; i < 3; i++) await va.nextText('chat');
    // Back through another node, with the last id it had.
    const back = await client(c!.wsUrl('talk', { since: 2 }));
    const welcome = await back.nextText('welcome');
    const h = await back.nextText('history');
    assert.equal(welcome.chatEpoch, hb.chatEpoch, 'one epoch for the room in the whole cluster');
    assert.deepEqual(h.messages.map((m) => m.id), [3, 4, 5]);
  });

  it('keeps one broadcaster in the cluster: a takeover from another node closes the old one with 4501', async () => {
    const [a, b, c] = await cluster(3);
    const first = await a!.broadcaster('one');
    const viewer = await client(c!.wsUrl('one'));
    await viewer.nextText('welcome');
    first.send(fakeFrame(1));
    await waitFor(() => viewer.frames().find((f) => f.seq === 1), 3000, 'the first broadcaster on node c');
    const second = await b!.broadcaster('one');
    assert.equal(await first.waitClose(3000), 4501);
    second.send(fakeFrame(100));
    await waitFor(() => viewer.frames().find((f) => f.seq === 100), 3000, 'the second broadcaster on node c');
    assert.equal((await (await fetch(c!.httpUrl('/api/rooms/one'))).json()).live, true);
  });

  it('counts viewers of the whole cluster the same on every node', async () => {
    const [a, b, c] = await cluster(3);
    await a!.broadcaster('count');
    for (const [node, n] of [[a!, 2], [b!, 3]] as const) {
      for (let i = 0; i < n; i++) await (await client(node.wsUrl('count'))).nextText('welcome');
    }
    const viewersOn = async (s: TestServer) => ((await (await fetch(s.httpUrl('/api/rooms/count'))).json()) as { viewers: number }).viewers;
    await waitFor(async () => ((await Promise.all([a!, b!, c!].map(viewersOn))).every((v) => v === 5) ? true : undefined), 5000, '5 viewers on every node');
    const list = (await (await fetch(c!.httpUrl('/api/rooms'))).json()) as { rooms: { name: string; viewers: number; live: boolean }[] };
    assert.deepEqual(list.rooms.map((r) => [r.name, r.viewers, r.live]), [['count', 5, true]], 'node c lists the room although nobody is in it there');
    const sixth = await client(c!.wsUrl('count'));
    assert.equal((await sixth.nextText('welcome')).viewers, 6);
    await waitFor(async () => ((await viewersOn(a!)) === 6 ? true : undefined), 5000, 'node a to count the sixth');
  });

  it("reports each node's own connections in its metrics, so their sum over the nodes is the cluster's", async () => {
    const [a, b] = await cluster(2);
    await a!.broadcaster('summed');
    for (const [node, n] of [[a!, 2], [b!, 3]] as const) {
      for (let i = 0; i < n; i++) await (await client(node.wsUrl('summed'))).nextText('welcome');
    }
    const viewersOn = async (s: TestServer) => ((await (await fetch(s.httpUrl('/api/rooms/summed'))).json()) as { viewers: number }).viewers;
    await waitFor(async () => ((await Promise.all([a!, b!].map(viewersOn))).every((v) => v === 5) ? true : undefined), 5000, 'both nodes to know all 5 viewers');
    const gauges = async (s: TestServer) => {
      const samples = parseProm(await (await fetch(s.httpUrl('/metrics'))).text());
      return {
        viewers: valueOf(samples, 'beamcast_connections', { role: 'viewer' }),
        broadcasters: valueOf(samples, 'beamcast_connections', { role: 'broadcaster' }),
        live: valueOf(samples, 'beamcast_rooms_live'),
      };
    };
    assert.deepEqual(await gauges(a!), { viewers: 2, broadcasters: 1, live: 1 }, 'node a: its own viewers and the broadcaster');
    assert.deepEqual(await gauges(b!), { viewers: 3, broadcasters: 0, live: 0 }, 'node b: its own viewers; the room is live on node a');
  });

  it('recompresses a tier once per frame in the whole cluster, on the broadcasting node, only while someone watches it', async () => {
    const encoders = [new CountingEncoder(), new CountingEncoder()];
    const [a, b] = await cluster(2, {}, encoders);
    const cam = await a!.broadcaster('tiers');
    const jpeg = await realJpeg(1280, 720);
    cam.send(encodeFrame(jpeg, 1, Date.now()));
    await cam.sync();
    assert.equal(encoders[0]!.total, 0, 'nobody watches sd yet');
    const sd = await client(b!.wsUrl('tiers', { quality: 'sd' }));
    await sd.nextText('welcome');
    const first = await sd.nextFrame(5000);
    assert.equal((await jpegInfo(first.bytes.subarray(first.headerLen))).width, 640);
    for (let seq = 2; seq <= 4; seq++) {
      cam.send(encodeFrame(jpeg, seq, Date.now()));
      await waitFor(() => sd.frames().find((f) => f.seq === seq), 5000, `sd frame ${seq} on node b`);
    }
    assert.equal(encoders[1]!.total, 0, 'node b encodes nothing');
    assert.ok(encoders[0]!.count(640) >= 4 && encoders[0]!.count(640) <= 5, `node a encoded sd once per frame (${encoders[0]!.count(640)})`);
  });

  it('serves snapshots and MJPEG of a room broadcast from another node', async () => {
    const [a, b] = await cluster(2);
    const cam = await a!.broadcaster('img');
    const jpeg = await realJpeg(640, 360);
    cam.send(encodeFrame(jpeg, 1, Date.now()));
    await cam.sync();
    const snap = await fetch(b!.httpUrl('/api/rooms/img/snapshot.jpg?quality=thumb'));
    assert.equal(snap.status, 200);
    assert.equal((await jpegInfo(new Uint8Array(await snap.arrayBuffer()))).width, 160);
    const ctrl = new AbortController();
    const res = await fetch(b!.httpUrl('/api/rooms/img/stream.mjpg'), { signal: ctrl.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const sender = setInterval(() => cam.send(encodeFrame(jpeg, 2, Date.now())), 50);
    let got = 0;
    while (got < 2 * jpeg.length) got += (await reader.read()).value?.length ?? 0;
    clearInterval(sender);
    ctrl.abort();
  });

  describe('when Redis goes down', () => {
    it('keeps streaming within a node, refuses chat with CHAT_UNAVAILABLE, and resumes across nodes by itself', async () => {
      const [a, b] = await cluster(2);
      const cam = await a!.broadcaster('out');
      const local = await client(a!.wsUrl('out'));
      const remote = await client(b!.wsUrl('out'));
      await local.nextText('history');
      await remote.nextText('history');
      cam.send(fakeFrame(1));
      await waitFor(() => remote.frames().find((f) => f.seq === 1), 3000, 'frame 1 across nodes');

      await redis.stop();
      await waitFor(() => (!a!.broker.up && !b!.broker.up ? true : undefined), 5000, 'both nodes to see the bus down');
      const ready = await fetch(a!.httpUrl('/readyz'));
      assert.equal(ready.status, 200, 'a node stays in the load balancer');
      assert.deepEqual(await ready.json(), { status: 'ready', bus: 'down' });
      const metrics = await (await fetch(a!.httpUrl('/metrics'))).text();
      assert.match(metrics, /^beamcast_bus_up 0$/m);
      cam.send(fakeFrame(2));
      await waitFor(() => local.frames().find((f) => f.seq === 2), 3000, 'frame 2 on the same node');
      local.send({ type: 'chat', text: 'lost?', ref: 'x' });
      assert.equal((await local.nextText('error')).code, 'CHAT_UNAVAILABLE');

      const t0 = Date.now();
      await redis.start();
      await waitFor(() => (a!.broker.up && b!.broker.up ? true : undefined), 5000, 'both nodes back on the bus');
      let seq = 3;
      await waitFor(() => {
        cam.send(fakeFrame(seq++));
        return remote.frames().some((f) => f.seq >= 3) ? true : undefined;
      }, 5000, 'frames across nodes again');
      assert.ok(Date.now() - t0 < 5000, `streams resumed within 5 s (${Date.now() - t0} ms)`);
      local.send({ type: 'chat', text: 'after' });
      const m = await remote.nextText('chat', 3000);
      assert.equal(m.text, 'after');
    });
  });
});
