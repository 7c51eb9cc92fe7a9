import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { ROOT } from '../helpers/deploy-files.js';
import { SERVER_ENTRY, startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { ManagedProcess } from '../helpers/managed-process.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const wsUrl = (p: BeamcastProcess, room: string, query: Record<string, string> = {}) =>
  `ws://127.0.0.1:${p.wsPort}/ws/${room}?${new URLSearchParams(query).toString()}`;

/** Waits until the server has logged `n` lines matching, so assertions never race the log. */
async function waitLog(p: BeamcastProcess, pred: (l: Record<string, unknown>) => boolean, what: string, n = 1): Promise<void> {
  await p.process.waitForOutput(() => p.logLines().filter(pred).length >= n, 3000, what);
}

describe('logs of the built server', () => {
  it('are JSON lines: one per connection open and close with reason, per refusal and per takeover; none per frame', async () => {
    const p = await startBeamcastProcess({ LOG_LEVEL: 'info', DEMO_ROOM: '', MAX_FPS: '240' });
    const room = 'logroom';
    const key = streamKey(TEST_SECRET, room);
    try {
      const viewer = await TestClient.connect(wsUrl(p, room, { name: 'Ann' }));
      await viewer.nextText('history');
      const cam = await TestClient.connect(wsUrl(p, room, { role: 'broadcaster', key }));
      await cam.nextText('welcome');
      for (let seq = 1; seq <= 20; seq++) cam.send(fakeFrame(seq, 500));
      for (let i = 0; i < 20; i++) await viewer.nextFrame();
      cam.send({ type: 'chat', text: '' });
      await cam.nextText('error');
      await assert.rejects(TestClient.connect(wsUrl(p, room, { role: 'broadcaster', key: 'nope' })), /401/);
      const cam2 = await TestClient.connect(wsUrl(p, room, { role: 'broadcaster', key }));
      await cam2.nextText('welcome');
      assert.equal(await cam.waitClose(), 4501);
      await viewer.close();
      await cam2.close();
      await waitLog(p, (l) => l.msg === 'connection closed', 'three "connection closed" lines', 3);

      const lines = p.logLines(); // throws if any stdout line is not JSON
      for (const l of lines) {
        assert.equal(typeof l.level, 'number');
        assert.equal(typeof l.time, 'number');
        assert.equal(typeof l.msg, 'string');
      }
      const of = (msg: string) => lines.filter((l) => l.msg === msg);
      const opens = of('connection open');
      assert.equal(opens.length, 3);
      assert.deepEqual(opens.map((l) => l.role).sort(), ['broadcaster', 'broadcaster', 'viewer']);
      assert.ok(opens.every((l) => typeof l.conn === 'string' && l.room === room));
      const closes = of('connection closed');
      assert.deepEqual(closes.map((l) => l.reason).sort(), ['client', 'client', 'replaced']);
      assert.ok(closes.every((l) => typeof l.code === 'number' && typeof l.conn === 'string'));
      assert.equal(of('broadcaster takeover').length, 1);
      const refusedUpgrade = of('upgrade refused');
      assert.equal(refusedUpgrade.length, 1);
      assert.equal(refusedUpgrade[0]!.code, 'BAD_KEY');
      assert.ok(of('refused').some((l) => l.code === 'CHAT_EMPTY'), 'refused chat is logged with its code');
      assert.ok(lines.length < 30, `20 frames must not add log lines at info (got ${lines.length} lines)`);
    } finally {
      await p.stop();
    }
  });

  it('never contain a stream key, even at trace level (DEMO_ROOM empty)', async () => {
    const p = await startBeamcastProcess({ LOG_LEVEL: 'trace', DEMO_ROOM: '' });
    const room = 'secretroom';
    const key = streamKey(TEST_SECRET, room);
    try {
      const cam = await TestClient.connect(wsUrl(p, room, { role: 'broadcaster', key, name: 'Cam' }));
      await cam.nextText('welcome');
      cam.send(fakeFrame(1, 500));
      cam.send({ type: 'chat', text: 'hi' });
      await cam.nextText('chat');
      await assert.rejects(TestClient.connect(wsUrl(p, room, { role: 'broadcaster', key: key.slice(0, -1) + '0' })), /401/);
      for (const body of [{ key }, { key: 'wrong' }]) {
        const res = await fetch(p.httpUrl(`/api/rooms/${room}/verify-key`), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
      }
      for (const path of [`/camera?room=${room}&key=${key}`, `/no-such-page?key=${key}`, `/api/rooms/${room}?key=${key}`]) {
        await (await fetch(p.httpUrl(path))).arrayBuffer();
      }
      await cam.close();
      await p.process.waitForOutput((out) => out.includes('"connection closed"'), 3000, 'the close line');
      const out = p.process.stdout + p.process.stderr;
      assert.ok(out.includes('"frame accepted"'), 'trace level is on (per-frame lines)');
      assert.ok(!out.includes(key), 'the room key appears nowhere in the logs');
      assert.ok(!out.includes(TEST_SECRET), 'the secret appears nowhere in the logs');
    } finally {
      await p.stop();
    }
  });

  it('never contain a viewer token or a key sent as a Bearer credential, even at trace level', async () => {
    const p = await startBeamcastProcess({ LOG_LEVEL: 'trace', DEMO_ROOM: '' });
    const room = 'hidden';
    const key = streamKey(TEST_SECRET, room);
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    try {
      const settings = await fetch(p.httpUrl(`/api/rooms/${room}/settings`), { method: 'PUT', headers: bearer, body: '{"private":true}' });
      assert.equal(settings.status, 200);
      const minted = (await (await fetch(p.httpUrl(`/api/rooms/${room}/tokens`), { method: 'POST', headers: bearer, body: '{"grants":["watch","publish"]}' })).json()) as { token: string };
      const token = minted.token;
      const cam = await TestClient.connect(wsUrl(p, room, { role: 'broadcaster', token }));
      await cam.nextText('welcome');
      cam.send(fakeFrame(1, 500));
      const viewer = await TestClient.connect(wsUrl(p, room, { token }));
      await viewer.nextText('welcome');
      await assert.rejects(TestClient.connect(wsUrl(p, room, { token: `${token}x` })), /401/);
      for (const path of [`/viewer/${room}?token=${token}`, `/api/rooms/${room}/snapshot.jpg?token=${token}`, `/api/rooms/${room}?token=${token}`, `/api/rooms/${room}/snapshot.jpg?token=${token}x`]) {
        await (await fetch(p.httpUrl(path))).arrayBuffer();
      }
      await (await fetch(p.httpUrl(`/api/rooms/${room}/settings`), { method: 'PUT', headers: { ...bearer, authorization: `Bearer ${token}` }, body: '{}' })).arrayBuffer();
      await (await fetch(p.httpUrl(`/api/rooms/${room}/access`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).arrayBuffer();
      await viewer.close();
      await cam.close();
      await p.process.waitForOutput((out) => out.split('"connection closed"').length > 2, 3000, 'the close lines');
      const out = p.process.stdout + p.process.stderr;
      assert.ok(out.includes('"room settings changed"') && out.includes('"viewer token minted"'), 'the changes are logged');
      assert.ok(!out.includes(token), 'no token in the logs');
      assert.ok(!out.includes(token.split('.')[1]!), 'not even its signature');
      assert.ok(!out.includes(key), 'no key in the logs');
    } finally {
      await p.stop();
    }
  });

  it('keep only the path of request URLs (fastify logs req.url on server errors)', () => {
    // In a child process: the logger writes to stdout, which the test runner owns here.
    const script = [
      "import { createLogger } from './src/logging/create-logger.ts';",
      "const log = createLogger({ logLevel: 'info', logPretty: false });",
      "log.child({}, { serializers: { req: (r) => ({ method: r.method, url: r.url }) } })",
      "  .error({ req: { method: 'GET', url: '/camera?room=r&key=KEY123' } }, 'request errored');",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim()) as { req: { url: string } };
    assert.equal(line.req.url, '/camera');
    assert.ok(!r.stdout.includes('KEY123'));
  });

  it('show the demo room key once, in the startup link, and no other', async () => {
    const p = await startBeamcastProcess({ DEMO_ROOM: 'demo', PUBLIC_URL: 'http://cam.example.org/' });
    try {
      const key = streamKey(TEST_SECRET, 'demo');
      const out = p.process.stdout;
      assert.equal(out.split(key).length - 1, 1, 'the demo key appears exactly once');
      const link = p.logLines().find((l) => typeof l.camera === 'string')!;
      assert.equal(link.camera, `http://cam.example.org/camera?room=demo&key=${key}`, 'links use PUBLIC_URL');
    } finally {
      await p.stop();
    }
  });

  it('are human-readable with LOG_PRETTY=true (pino-pretty from the built server)', async () => {
    const proc = new ManagedProcess('beamcast', process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', WS_PORT: '0', HOST: '127.0.0.1', STREAM_SECRET: TEST_SECRET, LOG_PRETTY: 'true', DEMO_ROOM: '' },
    });
    try {
      await proc.waitForOutput((out) => out.includes('beamcast is up'), 15_000, 'the pretty "beamcast is up" line');
      const first = proc.stdout.split('\n').find((l) => l.includes('beamcast is up'))!;
      assert.throws(() => JSON.parse(first), 'not JSON');
      assert.match(first, /INFO/);
      proc.signal('SIGTERM');
      await proc.waitForOutput((out) => out.includes('stopped'), 5000, 'the pretty "stopped" line');
      await proc.exited;
      assert.equal(proc.exitCode, 0, proc.tail());
    } finally {
      await proc.stop();
    }
  });
});
