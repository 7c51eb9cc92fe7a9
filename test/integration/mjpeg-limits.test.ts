import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'vitest';
import { fakeFrame } from '../helpers/jpeg.js';
import { until } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

/** An MJPEG client that sends its request and never reads a byte of the answer. */
async function deafClient(server: TestServer, room: string): Promise<net.Socket> {
  const sock = net.connect(server.httpPort, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.pause();
  sock.on('error', () => {});
  sock.write(`GET /api/rooms/${room}/stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n`);
  return sock;
}

/** Status and JSON body of a stream request that is refused, or the open response. */
function getStream(server: TestServer, room: string): Promise<{ status: number; body: any; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.get(server.httpUrl(`/api/rooms/${room}/stream.mjpg`), (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), res }));
      } else {
        res.on('data', () => {});
        res.on('error', () => {});
        resolve({ status: 200, body: null, res });
      }
    });
    req.on('error', reject);
  });
}

describe('MJPEG streams are long-lived connections with bounded cost', () => {
  it('count against MAX_CONNECTIONS_PER_IP together with WebSockets, until the stream ends', async () => {
    const server = await startTestServer({ maxConnectionsPerIp: '4' });
    const open: { res: http.IncomingMessage }[] = [];
    try {
      const cam = await server.broadcaster('capped'); // 1
      cam.send(fakeFrame(1));
      await cam.sync();
      const viewer = await TestClient.connect(server.wsUrl('capped')); // 2
      for (let i = 0; i < 2; i++) {
        const s = await getStream(server, 'capped'); // 3, 4
        assert.equal(s.status, 200);
        open.push(s);
      }
      const refused = await getStream(server, 'capped');
      assert.deepEqual([refused.status, refused.body.error], [429, 'TOO_MANY_CONNECTIONS']);
      await assert.rejects(TestClient.connect(server.wsUrl('capped')), (e: { status?: number }) => e.status === 429, 'WebSockets see the streams');

      open.shift()!.res.destroy();
      await until(() => server.mjpeg.count === 1, 'the stream to end');
      const again = await getStream(server, 'capped');
      assert.equal(again.status, 200, 'the slot is free again');
      open.push(again);
      await Promise.all([cam.close(), viewer.close()]);
    } finally {
      for (const s of open) s.res.destroy();
      await server.stop();
    }
  });

  it('a client that never reads holds at most one part in user space, even with VIDEO_MAX_BUFFERED', async () => {
    const server = await startTestServer({ videoMaxBuffered: String(2 * 1024 * 1024), maxFps: '240' });
    const FRAME = 300_000;
    const clients: net.Socket[] = [];
    try {
      const cam = await server.broadcaster('deaf');
      cam.send(fakeFrame(0, FRAME));
      await cam.sync();
      for (let i = 0; i < 3; i++) clients.push(await deafClient(server, 'deaf'));
      await until(() => server.mjpeg.count === 3, 'three streams');
      let most = 0;
      let backedUp = 0;
      // Until the kernel's buffers are full and user space has held a part for a while.
      for (let seq = 1; seq <= 200 && backedUp < 20; seq++) {
        cam.send(fakeFrame(seq, FRAME));
        await cam.sync();
        const held = server.mjpeg.buffered();
        most = Math.max(most, ...held);
        if (held.every((b) => b > 0)) backedUp++;
      }
      assert.ok(backedUp >= 20, 'the clients stopped taking bytes');
      assert.ok(most <= FRAME + 24 + 128, `a stream held ${most} bytes: more than one part of ${FRAME}`);
      await cam.close();
    } finally {
      for (const c of clients) c.destroy();
      await server.stop();
    }
  });

  it('a client that leaves a part unsent for HTTP_IDLE_TIMEOUT is closed; one that reads is not', async () => {
    const server = await startTestServer({ httpIdleTimeout: '1', maxFps: '240', maxConnectionsPerIp: '3' });
    const deaf: net.Socket[] = [];
    let reader: http.IncomingMessage | null = null;
    let pump: NodeJS.Timeout | null = null;
    try {
      const cam = await server.broadcaster('stall'); // 1 of 3
      let seq = 0;
      cam.send(fakeFrame(seq++, 200_000));
      await cam.sync();
      reader = (await getStream(server, 'stall')).res; // 2 of 3
      deaf.push(await deafClient(server, 'stall')); // 3 of 3
      await until(() => server.mjpeg.count === 2, 'two streams');
      pump = setInterval(() => cam.send(fakeFrame(seq++, 200_000)), 20);
      await until(() => server.mjpeg.count === 1, 'the deaf client to be dropped', 10_000);
      assert.ok(!reader.destroyed, 'the reading client keeps streaming');
      // Its slot went with it.
      const next = await getStream(server, 'stall');
      assert.equal(next.status, 200);
      next.res.destroy();
      clearInterval(pump);
      pump = null;
      await cam.close();
    } finally {
      if (pump) clearInterval(pump);
      reader?.destroy();
      for (const c of deaf) c.destroy();
      await server.stop();
    }
  });
});
