import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import { findBinary, itNeeding, skipWithout } from '../helpers/binaries.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { parseProm, valueOf, type Sample } from '../helpers/prom-text.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { mintOverHttp, setPrivate } from '../helpers/room-admin.js';
import { TestClient } from '../helpers/ws-client.js';

const ROOM = 'metrics-secret-room';

describe('GET /metrics', () => {
  let server: TestServer;
  const metrics = createMetrics();
  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240' }, { telemetry: metrics.telemetry, http: metrics.http });
    metrics.watchSockets(server.ws);
  });
  afterAll(async () => {
    await server.stop();
  });

  async function scrape(): Promise<{ text: string; samples: Sample[]; contentType: string }> {
    const res = await fetch(server.httpUrl('/metrics'));
    assert.equal(res.status, 200);
    const text = await res.text();
    return { text, samples: parseProm(text), contentType: res.headers.get('content-type') ?? '' };
  }

  it('counts connections, frames, bytes, rejects, refusals and chat as they happen', async () => {
    const viewers = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.wsUrl(ROOM))));
    for (const v of viewers) await v.nextText('history');
    const cam = await TestClient.connect(server.wsUrl(ROOM, { role: 'broadcaster', key: server.key(ROOM) }));
    await cam.nextText('welcome');
    await assert.rejects(TestClient.connect(server.wsUrl(ROOM, { role: 'broadcaster', key: 'wrong' })), /401/);

    const frames = 5;
    for (let seq = 1; seq <= frames; seq++) cam.send(fakeFrame(seq, 1000));
    cam.send(new Uint8Array([1, 2, 3])); // too short for a header
    cam.send({ type: 'chat', text: 'hello' });
    cam.send({ type: 'chat', text: '   ' });
    await cam.nextText('chat');
    await cam.nextText('error');
    for (const v of viewers) for (let i = 0; i < frames; i++) await v.nextFrame();

    const { samples, text, contentType } = await scrape();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const v = (name: string, labels?: Record<string, string>) => valueOf(samples, name, labels);
    assert.equal(v('beamcast_connections', { role: 'viewer' }), 3);
    assert.equal(v('beamcast_connections', { role: 'broadcaster' }), 1);
    assert.equal(v('beamcast_rooms_live'), 1);
    assert.equal(v('beamcast_rooms'), 1);
    assert.equal(v('beamcast_ws_sockets'), 4);
    assert.ok(v('beamcast_ws_buffered_bytes')! >= 0);
    assert.equal(v('beamcast_connections_opened_total', { role: 'viewer' }), 3);
    assert.equal(v('beamcast_connections_opened_total', { role: 'broadcaster' }), 1);
    assert.equal(v('beamcast_connections_refused_total', { reason: 'BAD_KEY' }), 1);
    assert.equal(v('beamcast_frames_received_total'), frames + 1);
    assert.equal(v('beamcast_received_bytes_total'), frames * (24 + 1000) + 3);
    assert.equal(v('beamcast_frames_rejected_total', { reason: 'FRAME_MALFORMED' }), 1);
    assert.equal(v('beamcast_frames_sent_total', { quality: 'source' }), frames * 3);
    assert.equal(v('beamcast_sent_bytes_total', { quality: 'source' }), frames * 3 * (24 + 1000));
    assert.equal(v('beamcast_frame_relay_seconds_count'), frames);
    assert.equal(v('beamcast_frame_relay_seconds_bucket', { le: '+Inf' }), frames);
    assert.equal(v('beamcast_chat_messages_total'), 1);
    assert.equal(v('beamcast_chat_refused_total', { reason: 'CHAT_EMPTY' }), 1);
    // Series that have not happened yet are there at 0, so rate() works from the first scrape.
    assert.equal(v('beamcast_frames_skipped_total', { reason: 'backpressure' }), 0);
    assert.equal(v('beamcast_connections_closed_total', { role: 'viewer', reason: 'slow_consumer' }), 0);
    // Default process metrics, event-loop lag included.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
      assert.ok(v(name)! >= 0, `${name} is exported`);
    }
    assert.ok(samples.some((s) => s.name === 'nodejs_active_handles'), 'handles are exported');
    // Labels come from fixed sets: no room name ever becomes a label value.
    assert.ok(!text.includes(ROOM), 'room names are not labels');

    await Promise.all([cam, ...viewers].map((c) => c.close()));
    const afterClose = (await scrape()).samples;
    assert.equal(valueOf(afterClose, 'beamcast_connections', { role: 'viewer' }), 0);
    assert.equal(valueOf(afterClose, 'beamcast_rooms_live'), 0);
    assert.equal(valueOf(afterClose, 'beamcast_connections_closed_total', { role: 'viewer', reason: 'client' }), 3);
  });

  it('counts a takeover as a "replaced" close', async () => {
    const room = 'metrics-takeover';
    const first = await TestClient.connect(server.wsUrl(room, { role: 'broadcaster', key: server.key(room) }));
    await first.nextText('welcome');
    const second = await TestClient.connect(server.wsUrl(room, { role: 'broadcaster', key: server.key(room) }));
    await second.nextText('welcome');
    assert.equal(await first.waitClose(), 4501);
    await second.close();
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'beamcast_connections_closed_total', { role: 'broadcaster', reason: 'replaced' }), 1);
  });

  itNeeding(skipWithout('promtool', 'prometheus'), 'passes promtool check metrics', async () => {
    const { text } = await scrape();
    const r = spawnSync(findBinary('promtool')!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
  });
});

describe('per-room metrics (METRICS_ROOM_LABELS)', () => {
  it('label only the N busiest rooms by name, never a room nobody has been live in', async () => {
    const metrics = createMetrics({ roomLabels: 1 });
    const server = await startTestServer({}, { telemetry: metrics.telemetry, http: metrics.http });
    const clients: TestClient[] = [];
    try {
      for (const room of ['quiet', 'busy']) {
        const cam = await server.broadcaster(room);
        await cam.close();
      }
      // Made-up names get more viewers than any real room, and still never become labels.
      for (const room of ['quiet', 'busy', 'busy', 'made-up', 'made-up', 'made-up']) {
        const c = await TestClient.connect(server.wsUrl(room));
        await c.nextText('history');
        clients.push(c);
      }
      const text = await (await fetch(server.httpUrl('/metrics'))).text();
      const samples = parseProm(text);
      assert.equal(valueOf(samples, 'beamcast_room_viewers', { room: 'busy' }), 2);
      assert.ok(!text.includes('"quiet"'), 'only the busiest room');
      assert.ok(!text.includes('made-up'), 'a room nobody has been live in is not labelled');
      assert.equal(valueOf(samples, 'beamcast_room_fps', { room: 'busy' }), 0);
      assert.equal(valueOf(samples, 'beamcast_rooms'), 2);
      assert.equal(valueOf(samples, 'beamcast_rooms_waiting'), 1);
      assert.equal(valueOf(samples, 'beamcast_connections', { role: 'viewer' }), 6, 'waiting viewers are connections too');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  });

  it('never label a private room, however busy', async () => {
    const metrics = createMetrics({ roomLabels: 5 });
    const server = await startTestServer({}, { telemetry: metrics.telemetry, http: metrics.http });
    const clients: TestClient[] = [];
    try {
      for (const room of ['open', 'secret']) clients.push(await server.broadcaster(room));
      await setPrivate(server.httpUrl(''), 'secret', server.key('secret'), true);
      const t = await mintOverHttp(server.httpUrl(''), 'secret', server.key('secret'), ['watch']);
      for (let i = 0; i < 3; i++) {
        const c = await TestClient.connect(server.wsUrl('secret', { token: t }));
        await c.nextText('history');
        clients.push(c);
      }
      const text = await (await fetch(server.httpUrl('/metrics'))).text();
      assert.ok(text.includes('room="open"'), 'the public room is labelled');
      assert.ok(!text.includes('secret'), 'the private room is not');
      assert.equal(valueOf(parseProm(text), 'beamcast_connections', { role: 'viewer' }), 3, 'its viewers still count');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  });
});
