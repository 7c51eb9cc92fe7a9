import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { startBeamcastProcess } from '../helpers/beamcast-process.js';
import { waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { startTestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

async function status(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

describe('health and readiness', () => {
  it('/healthz and /readyz answer 200 while serving', async () => {
    const server = await startTestServer();
    try {
      const health = await fetch(server.httpUrl('/healthz'));
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const ready = await fetch(server.httpUrl('/readyz'));
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', bus: 'up' });
    } finally {
      await server.stop();
    }
  });

  it('while draining: /readyz is 503, /healthz 200, new sockets refused, open ones keep streaming, then close with 4000', async () => {
    const server = await startTestServer({ drainSeconds: '1' });
    const room = 'drain';
    const viewer = await TestClient.connect(server.wsUrl(room));
    await viewer.nextText('history');
    const cam = await TestClient.connect(server.wsUrl(room, { role: 'broadcaster', key: server.key(room) }));
    await cam.nextText('welcome');
    try {
      const closing = server.close();
      assert.equal(await status(server.httpUrl('/readyz')), 503);
      assert.equal(await status(server.httpUrl('/healthz')), 200);
      await assert.rejects(TestClient.connect(server.wsUrl(room)), (err: Error & { status?: number; body?: string }) => {
        assert.equal(err.status, 503);
        assert.equal(JSON.parse(err.body!).error, 'SHUTTING_DOWN');
        return true;
      });
      cam.send(fakeFrame(7, 800));
      assert.equal((await viewer.nextFrame()).seq, 7, 'open connections keep streaming during the drain');
      assert.equal(await viewer.waitClose(3000), 4000);
      assert.equal(await cam.waitClose(3000), 4000);
      await closing;
    } finally {
      await Promise.all([viewer.close(), cam.close()]);
      await server.stop();
    }
  });

  it('the built server drains on SIGTERM (readiness off first) and exits 0', async () => {
    const proc = await startBeamcastProcess({ DRAIN_SECONDS: '2', DEMO_ROOM: '' });
    try {
      assert.equal(await status(proc.httpUrl('/readyz')), 200);
      proc.process.signal('SIGTERM');
      await waitFor(async () => ((await status(proc.httpUrl('/readyz'))) === 503 ? true : undefined), 1900, '/readyz to turn 503 within the 2 s drain');
      assert.equal(await status(proc.httpUrl('/healthz')), 200, 'still alive while draining');
      await proc.process.exited;
      assert.equal(proc.process.exitCode, 0, proc.process.tail());
      const msgs = proc.logLines().map((l) => l.msg);
      for (const m of ['shutting down', 'draining', 'stopped']) assert.ok(msgs.includes(m), `logs "${m}"`);
    } finally {
      await proc.stop();
    }
  });
});
