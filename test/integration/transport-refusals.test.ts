import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { noopTelemetry, type CloseReason, type Telemetry } from '../../src/core/telemetry.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeFrame, fakeJpeg } from '../helpers/jpeg.js';
import { captureLog, startTestServer, type CapturedLog, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const MiB = 1024 * 1024;

/** Telemetry that records why connections closed, and lets a test wait for the next close. */
function closeRecorder(): { telemetry: Telemetry; next(): Promise<CloseReason> } {
  const seen: CloseReason[] = [];
  let waiter: (() => void) | null = null;
  let cursor = 0;
  return {
    telemetry: {
      ...noopTelemetry,
      connectionClosed: (_role, reason) => {
        seen.push(reason);
        waiter?.();
      },
    },
    async next() {
      while (cursor >= seen.length) await new Promise<void>((resolve) => (waiter = resolve));
      return seen[cursor++]!;
    },
  };
}

describe('a realistic oversize frame is refused with its code, on a server with default limits', () => {
  it('answers a 2.5 MB frame with FRAME_TOO_LARGE when MAX_FRAME_BYTES is 1 MB, and keeps the connection', async () => {
    const server = await startTestServer({ maxFrameBytes: String(MiB) });
    try {
      const cam = await server.broadcaster('big');
      const viewer = await TestClient.connect(server.wsUrl('big'));
      await viewer.nextText('history');
      cam.send(encodeFrame(fakeJpeg(2.5 * MiB), 1, 0));
      assert.equal((await cam.nextText('error', 5000)).code, 'FRAME_TOO_LARGE');
      cam.send(fakeFrame(2, 2000));
      assert.equal((await viewer.nextFrame()).seq, 2, 'the same connection still streams');
      await Promise.all([cam.close(), viewer.close()]);
    } finally {
      await server.stop();
    }
  });
});

describe('messages over the transport limit and text that is not UTF-8', () => {
  // Frame limit 16 KiB, transport limit 64 KiB: read and closed with 1009 up to 128 KiB, dropped unread beyond.
  const LIMIT = 64 * 1024;
  let server: TestServer;
  let closes: ReturnType<typeof closeRecorder>;
  let log: CapturedLog;

  beforeAll(async () => {
    closes = closeRecorder();
    log = captureLog();
    server = await startTestServer(
      { maxFrameBytes: String(16 * 1024), maxTextBytes: '1024', wsMaxMessageBytes: String(LIMIT) },
      { telemetry: closes.telemetry },
      log.logger,
    );
  });
  afterAll(async () => {
    await server.stop();
  });

  it('tells the sender of a message over the limit why, with a 1009 close frame and a reason', async () => {
    const cam = await server.broadcaster('limits');
    cam.send(new Uint8Array(LIMIT + 1000));
    assert.equal(await cam.waitClose(), 1009);
    assert.match(cam.closeReason, /larger than the limit/);
    assert.equal(await closes.next(), 'too_large');
  });

  it('drops a message beyond twice the limit unread: the client sees 1006, the server counts it as its own close', async () => {
    const viewer = await TestClient.connect(server.wsUrl('limits'));
    await viewer.nextText('history');
    viewer.send(new Uint8Array(2 * LIMIT + 1000));
    // uWebSockets.js closes the TCP connection at the message header: there is no close frame to read.
    assert.equal(await viewer.waitClose(), 1006);
    assert.equal(viewer.closeReason, '');
    assert.equal(await closes.next(), 'too_large');
    const line = log.lines.find((l) => l.msg === 'connection closed' && l.reason === 'too_large' && l.code === 1006);
    assert.ok(line, 'logged as the server closing it for size');
    assert.equal(line.level, 30, 'at info');
  });

  it('closes a connection that sends invalid UTF-8 as text: 1006 at the client, counted and logged as invalid_utf8', async () => {
    const viewer = await TestClient.connect(server.wsUrl('limits'), { skipUTF8Validation: true });
    await viewer.nextText('history');
    viewer.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    // uWebSockets.js validates text before the server sees it and closes without a close frame.
    assert.equal(await viewer.waitClose(), 1006);
    assert.equal(await closes.next(), 'invalid_utf8');
    assert.ok(log.lines.some((l) => l.msg === 'connection closed' && l.reason === 'invalid_utf8' && l.level === 30));
    assert.ok(!JSON.stringify(log.lines).includes('\\ufffd'), 'the payload is not logged');
  });

  it('keeps serving others while it refuses oversize and invalid messages', async () => {
    const cam = await server.broadcaster('calm');
    const viewer = await TestClient.connect(server.wsUrl('calm'));
    await viewer.nextText('history');
    cam.send(fakeFrame(7, 1000));
    assert.equal((await viewer.nextFrame()).seq, 7);
    await Promise.all([cam.close(), viewer.close()]);
    for (let i = 0; i < 2; i++) await closes.next();
  });
});

describe('WebSocket handshakes of another version', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  function handshake(version: string | null): Promise<{ status: number; header: string | undefined; body: string }> {
    const headers: Record<string, string> = {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    };
    if (version !== null) headers['sec-websocket-version'] = version;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.wsPort, path: '/ws/room', headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, header: res.headers['sec-websocket-version'] as string | undefined, body });
        });
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode!, header: undefined, body: '' });
      });
      req.on('error', reject);
      req.end();
    });
  }

  for (const version of ['8', '12', '14', null]) {
    it(`refuses Sec-WebSocket-Version ${version ?? '(missing)'} with 426 Upgrade Required, naming version 13`, async () => {
      const r = await handshake(version);
      assert.equal(r.status, 426);
      assert.equal(r.header, '13');
      assert.equal(JSON.parse(r.body).error, 'UNSUPPORTED_WS_VERSION');
    });
  }

  it('accepts version 13, and a ws client asking for version 8 learns why it was refused', async () => {
    assert.equal((await handshake('13')).status, 101);
    const refused = await TestClient.connect(server.wsUrl('room'), { protocolVersion: 8 }).then(
      () => null,
      (err: { status?: number; body?: string }) => err,
    );
    assert.equal(refused?.status, 426);
    assert.equal(JSON.parse(refused?.body ?? '{}').error, 'UNSUPPORTED_WS_VERSION');
  });
});
