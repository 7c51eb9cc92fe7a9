import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { JpegSplitter } from '../../src/ingest/jpeg-splitter.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { openMjpeg } from '../helpers/mjpeg-client.js';
import { jpegInfo, realJpeg, until } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('snapshot and MJPEG endpoints', () => {
  let server: TestServer;
  let hd: Buffer[];
  beforeAll(async () => {
    server = await startTestServer({ maxFps: '240' });
    hd = await Promise.all([0, 1, 2].map((v) => realJpeg(640, 480, v)));
  });
  afterAll(async () => {
    await server.stop();
  });

  const camera = (room: string) => server.broadcaster(room);
  const barrier = (cam: TestClient) => cam.sync();

  it('snapshot: 404 JSON for an unknown room or no frame yet, 400 for an unknown tier', async () => {
    let res = await fetch(server.httpUrl('/api/rooms/nobody/snapshot.jpg'));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'ROOM_NOT_FOUND');
    const cam = await camera('empty');
    res = await fetch(server.httpUrl('/api/rooms/empty/snapshot.jpg?quality=sd'));
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'NO_FRAME');
    res = await fetch(server.httpUrl('/api/rooms/empty/snapshot.jpg?quality=hd'));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'BAD_QUALITY');
    await cam.close();
    await until(() => !server.rooms.get('empty')!.live, 'the room to go offline');
    res = await fetch(server.httpUrl('/api/rooms/empty/stream.mjpg'));
    assert.equal(res.status, 404, 'offline and never had a frame');
    assert.equal(((await res.json()) as { error: string }).error, 'NO_FRAME');
  });

  it('snapshot: newest frame of the tier with ETag and Last-Modified, and 304s', async () => {
    const cam = await camera('snap');
    cam.send(encodeFrame(hd[0]!, 1, Date.now()));
    await barrier(cam);
    const res = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg?quality=sd'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('x-frame-seq'), '1');
    const etag = res.headers.get('etag')!;
    const lastModified = res.headers.get('last-modified')!;
    assert.match(etag, /^"sd-/);
    assert.ok(!Number.isNaN(Date.parse(lastModified)));
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal((await jpegInfo(body)).width, 640, 'sd of a 640 px source: not enlarged');

    const again = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg?quality=sd'), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);
    const since = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg?quality=sd'), { headers: { 'if-modified-since': lastModified } });
    assert.equal(since.status, 304);
    const thumb = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg?quality=thumb'), { headers: { 'if-none-match': etag } });
    assert.equal(thumb.status, 200, 'another tier has another ETag');
    assert.equal((await jpegInfo(Buffer.from(await thumb.arrayBuffer()))).width, 160);

    cam.send(encodeFrame(hd[1]!, 2, Date.now()));
    await barrier(cam);
    const next = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg?quality=sd'), { headers: { 'if-none-match': etag } });
    assert.equal(next.status, 200, 'a new frame is modified');
    assert.notEqual(next.headers.get('etag'), etag);
    assert.equal(next.headers.get('x-frame-seq'), '2');
    const src = await fetch(server.httpUrl('/api/rooms/snap/snapshot.jpg'));
    assert.equal((await jpegInfo(Buffer.from(await src.arrayBuffer()))).width, 640);
    await cam.close();
  });

  it('MJPEG: streams a tier, counts as a viewer, and ends cleanly when the room goes offline', async () => {
    const cam = await camera('mj');
    const ws = await TestClient.connect(server.wsUrl('mj'));
    await ws.nextText('history');
    cam.send(encodeFrame(hd[0]!, 1, Date.now()));
    const stream = openMjpeg(server.httpUrl('/api/rooms/mj/stream.mjpg?quality=thumb'));
    await until(() => stream.state.parts.length >= 1, 'the first part');
    assert.equal(stream.state.status, 200);
    assert.match(String(stream.state.headers['content-type']), /^multipart\/x-mixed-replace; boundary=/);
    cam.send(encodeFrame(hd[1]!, 2, Date.now()));
    await until(() => stream.state.parts.length >= 2, 'the second part');
    assert.equal((await jpegInfo(stream.state.parts[1]!)).width, 160);
    const summary = (await (await fetch(server.httpUrl('/api/rooms/mj'))).json()) as { viewers: number };
    assert.equal(summary.viewers, 2, 'one WebSocket viewer and one MJPEG client');
    for (;;) if ((await ws.nextText('presence', 3000)).viewers === 2) break;

    await cam.close();
    await until(() => stream.state.ended, 'the stream to end');
    assert.match(stream.state.tail.toString('latin1'), /--beamcastframe--\r\n$/);
    await until(() => server.rooms.get('mj')!.viewers === 1, 'the MJPEG viewer to be gone');
    // Offline now: one part with the last picture, then the end.
    const offline = openMjpeg(server.httpUrl('/api/rooms/mj/stream.mjpg?quality=sd'));
    await until(() => offline.state.ended, 'the one-part stream to end');
    assert.equal(offline.state.parts.length, 1);
    await ws.close();
  });

  it('MJPEG: a client that leaves is removed, and a slow client skips frames instead of buffering them', async () => {
    const cam = await camera('mjslow');
    cam.send(encodeFrame(hd[0]!, 1, Date.now()));
    await barrier(cam);
    const room = server.rooms.get('mjslow')!;
    const leaving = openMjpeg(server.httpUrl('/api/rooms/mjslow/stream.mjpg'));
    await until(() => leaving.state.parts.length === 1, 'the cached frame');
    assert.equal(room.viewers, 1);
    leaving.close();
    await until(() => room.viewers === 0, 'the viewer count to drop');

    // A client that never reads: the kernel buffers fill, then the server skips instead of queuing.
    const sock = net.connect(server.httpPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.pause();
    sock.write('GET /api/rooms/mjslow/stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => room.viewers === 1, 'the raw client to be a viewer');
    const channel = room.channel('source')!;
    const skippedBefore = channel.skipped;
    for (let seq = 2; seq <= 50; seq++) cam.send(fakeFrame(seq, 900_000));
    await barrier(cam);
    await until(() => channel.skipped > skippedBefore, 'frames to be skipped for the slow client', 5000);
    sock.destroy();
    await until(() => room.viewers === 0, 'the slow client to be removed');
    await cam.close();
  });

  it('MJPEG: ffmpeg decodes frames from stream.mjpg', async () => {
    const cam = await camera('ff');
    let seq = 0;
    cam.send(encodeFrame(hd[0]!, seq++, Date.now()));
    const pump = setInterval(() => cam.send(encodeFrame(hd[seq % 3]!, seq++, Date.now())), 40);
    try {
      const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', server.httpUrl('/api/rooms/ff/stream.mjpg?quality=thumb'), '-frames:v', '3', '-c:v', 'copy', '-f', 'image2pipe', '-'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const splitter = new JpegSplitter();
      const out: Buffer[] = [];
      let err = '';
      ff.stdout.on('data', (c: Buffer) => out.push(...splitter.push(c)));
      ff.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => ff.on('close', resolve));
      assert.equal(code, 0, err);
      assert.equal(out.length, 3);
      for (const jpeg of out) assert.deepEqual(await jpegInfo(jpeg), { width: 160, height: 120, hasExif: false });
    } finally {
      clearInterval(pump);
      await cam.close();
    }
  });
});
