import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { startBeamcastProcess } from '../helpers/beamcast-process.js';
import { ROOT, ensureBuilt } from '../helpers/ensure-built.js';
import { TestClient } from '../helpers/ws-client.js';

test('the built server logs its links, and on SIGTERM closes every socket with 4000 and exits 0 within 5 s', async () => {
  const server = await startBeamcastProcess({ STREAM_SECRET: 'spawned-secret', LOG_LEVEL: 'info' });
  try {
    const key = streamKey('spawned-secret', 'demo');
    const links = server.logLines().find((l) => typeof l.camera === 'string')!;
    assert.ok(links, 'a ready-to-use broadcaster link is logged');
    const camUrl = new URL(String(links.camera));
    assert.equal(camUrl.searchParams.get('room'), 'demo');
    assert.equal(camUrl.searchParams.get('key'), key);

    const ws = `ws://127.0.0.1:${server.wsPort}/ws/demo`;
    const cam = await TestClient.connect(`${ws}?role=broadcaster&key=${key}`);
    const viewer = await TestClient.connect(ws);
    await viewer.nextText('history');
    cam.send(fakeFrame(1));
    await viewer.nextFrame();
    const t0 = Date.now();
    server.process.signal('SIGTERM');
    assert.equal(await viewer.waitClose(5000), 4000);
    assert.equal(await cam.waitClose(5000), 4000);
    await server.process.exited;
    assert.equal(server.process.exitCode, 0);
    assert.ok(Date.now() - t0 < 5000, 'exited within 5 s');
    const lines = server.logLines();
    assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
    assert.ok(
      lines.every((l) => !JSON.stringify(l).includes('spawned-secret')),
      'the secret itself never reaches the log',
    );
  } finally {
    await server.stop();
  }
});

test('a bad setting stops the server before it starts, naming the setting', () => {
  ensureBuilt();
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/server/main.js'), '--max-fps', 'lots'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--max-fps \(MAX_FPS\) must be an integer/);
  const help = execFileSync(process.execPath, [join(ROOT, 'dist/server/main.js'), '--help'], { encoding: 'utf8' });
  assert.match(help, /--ws-port\s+WS_PORT/);
});

test('npm run stream-key prints the key of a room', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/cli/stream-key.js'), 'lab', '--stream-secret', 'abc'], { encoding: 'utf8' });
  assert.equal(out.trim(), streamKey('abc', 'lab'));
  const bad = spawnSync(process.execPath, [join(ROOT, 'dist/cli/stream-key.js'), 'Bad Room'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});

test('a second server cannot take a WebSocket port that is in use', async () => {
  const { startTestServer } = await import('../helpers/test-server.js');
  const first = await startTestServer();
  try {
    await assert.rejects(startTestServer({ wsPort: String(first.wsPort) }), new RegExp(`WS_PORT ${first.wsPort} is in use`));
  } finally {
    await first.stop();
  }
});

/** The built server started with `env` on top of the test defaults; resolves when it has exited. */
function runBuiltServer(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  ensureBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/server/main.js')], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', STREAM_SECRET: 'x', DEMO_ROOM: '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

async function occupiedPort(): Promise<{ port: number; close(): Promise<void> }> {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  return { port: (holder.address() as net.AddressInfo).port, close: () => new Promise((r) => holder.close(() => r())) };
}

test('a port in use stops the built server with the setting to change and the likely cause', async () => {
  const held = await occupiedPort();
  try {
    const ws = await runBuiltServer({ PORT: '0', WS_PORT: String(held.port) });
    assert.equal(ws.status, 1, ws.stderr);
    assert.match(ws.stderr, new RegExp(`WS_PORT ${held.port} is in use \\(another beamcast or another program is listening there\\); choose another with WS_PORT or --ws-port`));
    const http = await runBuiltServer({ PORT: String(held.port), WS_PORT: '0' });
    assert.equal(http.status, 1, http.stderr);
    assert.match(http.stderr, new RegExp(`PORT ${held.port} is in use .*choose another with PORT or --port`));
    assert.doesNotMatch(http.stderr, /EADDRINUSE:/, 'no raw errno message');
  } finally {
    await held.close();
  }
});

test('PORT equal to WS_PORT is refused before anything listens', async () => {
  const r = await runBuiltServer({ PORT: '8123', WS_PORT: '8123' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /PORT \(--port\) and WS_PORT \(--ws-port\) are both 8123/);
});
