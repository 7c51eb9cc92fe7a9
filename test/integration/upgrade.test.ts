import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

async function refused(url: string, opts = {}): Promise<{ status: number; body: { error: string } }> {
  const err = await TestClient.connect(url, opts).then(
    async (c) => {
      await c.close();
      assert.fail(`expected ${url} to be refused`);
    },
    (e: { status: number; body: string }) => e,
  );
  return { status: err.status, body: JSON.parse(err.body) };
}

describe('upgrade checks (before any WebSocket exists)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ maxNameLength: '8', allowedOrigins: 'https://ok.example', maxViewersPerRoom: '2', maxConnectionsPerIp: '3' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses bad rooms with 400 BAD_ROOM', async () => {
    for (const room of ['Bad', '-x', 'a%20b', 'x'.repeat(65)]) {
      const r = await refused(server.wsUrl(room));
      assert.deepEqual([r.status, r.body.error], [400, 'BAD_ROOM'], room);
    }
  });

  it('refuses a missing or wrong stream key with 401 BAD_KEY', async () => {
    const none = await refused(server.wsUrl('cam', { role: 'broadcaster' }));
    assert.deepEqual([none.status, none.body.error], [401, 'BAD_KEY']);
    const wrong = await refused(server.wsUrl('cam', { role: 'broadcaster', key: server.key('other') }));
    assert.deepEqual([wrong.status, wrong.body.error], [401, 'BAD_KEY']);
    const ok = await TestClient.connect(server.wsUrl('cam', { role: 'broadcaster', key: server.key('cam') }));
    assert.equal((await ok.nextText('welcome')).role, 'broadcaster');
    await ok.close();
  });

  it('refuses bad role, long name, unknown quality, bad since and foreign origins', async () => {
    const cases: [string, object, number, string][] = [
      [server.wsUrl('r', { role: 'admin' }), {}, 400, 'BAD_ROLE'],
      [server.wsUrl('r', { name: 'x'.repeat(9) }), {}, 400, 'NAME_TOO_LONG'],
      [server.wsUrl('r', { quality: 'ultra' }), {}, 400, 'BAD_QUALITY'],
      [server.wsUrl('r', { since: 'abc' }), {}, 400, 'BAD_SINCE'],
      [server.wsUrl('r'), { origin: 'https://evil.example' }, 403, 'ORIGIN_NOT_ALLOWED'],
    ];
    for (const [url, opts, status, code] of cases) {
      const r = await refused(url, opts);
      assert.deepEqual([r.status, r.body.error], [status, code], url);
    }
    const fine = await TestClient.connect(server.wsUrl('r'), { origin: 'https://ok.example' });
    await fine.close();
  });

  it('enforces the viewer limit per room and the connection limit per address', async () => {
    const a = await TestClient.connect(server.wsUrl('full'));
    const b = await TestClient.connect(server.wsUrl('full'));
    await Promise.all([a.nextText('welcome'), b.nextText('welcome')]);
    const full = await refused(server.wsUrl('full'));
    assert.deepEqual([full.status, full.body.error], [503, 'ROOM_FULL']);
    const c = await TestClient.connect(server.wsUrl('elsewhere'));
    const tooMany = await refused(server.wsUrl('another'));
    assert.deepEqual([tooMany.status, tooMany.body.error], [429, 'TOO_MANY_CONNECTIONS']);
    await c.close();
    // The slot is released on close.
    const d = await TestClient.connect(server.wsUrl('another'));
    await Promise.all([a, b, d].map((x) => x.close()));
  });
});
