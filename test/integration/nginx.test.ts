import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding, skipWithout } from '../helpers/binaries.js';
import { nginxSiteFor, repoFile } from '../helpers/deploy-files.js';
import { freePort } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { startNginx, type NginxServer } from '../helpers/nginx-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';
import Pusher from 'pusher';
import { PusherJs } from '../helpers/pusher-js-client.js';
import { once } from '../helpers/pusher-server.js';

const PUSHER_ENV = { PUSHER_APP_ID: '11', PUSHER_APP_KEY: 'nginx-key', PUSHER_APP_SECRET: 'nginx-secret' };

describeNeeding(skipWithout('nginx', 'nginx-light'), 'nginx in front (deploy/nginx/beamcast.conf)', () => {
  let beamcast: BeamcastProcess;
  let nginx: NginxServer;
  beforeAll(async () => {
    // As docker-compose.yml runs it: behind the proxy, pages open WebSockets on their own origin.
    beamcast = await startBeamcastProcess({ TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '', MAX_FPS: '240', ...PUSHER_ENV });
    try {
      const port = await freePort();
      nginx = await startNginx(nginxSiteFor(beamcast.httpPort, beamcast.wsPort, port), port);
    } catch (err) {
      await beamcast.stop();
      throw err;
    }
  });
  afterAll(async () => {
    await nginx?.stop();
    await beamcast.stop();
  });

  it('serves the pages, API and health checks exactly as beamcast does, and hides /metrics', async () => {
    const pagesBuilt = existsSync(repoFile('dist/web/index.html'));
    for (const path of ['/', '/camera?room=via-nginx', '/viewer/via-nginx', '/api/rooms', '/healthz', '/readyz']) {
      const [proxied, direct] = await Promise.all([fetch(`${nginx.url}${path}`), fetch(beamcast.httpUrl(path))]);
      const [pBody, dBody] = await Promise.all([proxied.text(), direct.text()]);
      assert.equal(proxied.status, direct.status, `status of ${path}`);
      assert.equal(proxied.headers.get('content-type'), direct.headers.get('content-type'), `content-type of ${path}`);
      assert.equal(pBody, dBody, `body of ${path}`);
      if (pagesBuilt && !path.startsWith('/api') && !path.endsWith('z')) {
        assert.equal(proxied.status, 200, `${path} loads`);
        assert.match(proxied.headers.get('content-type') ?? '', /^text\/html/);
      }
    }
    assert.equal((await fetch(`${nginx.url}/healthz`)).status, 200);
    const hidden = await fetch(`${nginx.url}/metrics`);
    await hidden.arrayBuffer();
    assert.equal(hidden.status, 404, 'metrics are not public');
    const internal = await fetch(beamcast.httpUrl('/metrics'));
    assert.match(await internal.text(), /beamcast_frames_received_total/);
  });

  it('passes beamcast\'s security headers once, with the proxy\'s origin as the pages\' WebSocket source', async () => {
    const res = await fetch(`${nginx.url}/viewer/via-nginx`);
    await res.arrayBuffer();
    const policy = res.headers.get('content-security-policy') ?? '';
    assert.ok(!policy.includes(','), 'one policy, not two joined');
    const connect = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src '));
    assert.equal(connect, `connect-src 'self' ws://127.0.0.1:${nginx.port} wss://127.0.0.1:${nginx.port}`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  });

  it('tells pages to open WebSockets on the origin they came from', async () => {
    const viaProxy = (await (await fetch(`${nginx.url}/api/config`)).json()) as { wsUrl: string };
    assert.equal(viaProxy.wsUrl, `ws://127.0.0.1:${nginx.port}`);
    const spoofed = await fetch(`${nginx.url}/api/config`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(((await spoofed.json()) as { wsUrl: string }).wsUrl, `ws://127.0.0.1:${nginx.port}`, 'nginx sets the scheme it saw');
  });

  it('carries frames and chat both ways through /ws/', async () => {
    const { wsUrl } = (await (await fetch(`${nginx.url}/api/config`)).json()) as { wsUrl: string };
    const room = 'via-nginx';
    const key = streamKey(TEST_SECRET, room);
    const viewer = await TestClient.connect(`${wsUrl}/ws/${room}?name=Viewer`);
    const cam = await TestClient.connect(`${wsUrl}/ws/${room}?role=broadcaster&name=Cam&key=${key}`);
    try {
      assert.equal((await viewer.nextText('welcome')).room, room);
      assert.equal((await cam.nextText('welcome')).role, 'broadcaster');
      const sent = [fakeFrame(1, 2_000), fakeFrame(2, 300_000), fakeFrame(3, 50)];
      for (const f of sent) cam.send(f);
      for (const f of sent) {
        const got = await viewer.nextFrame(5000);
        assert.equal(got.bytes.length, f.length);
        assert.deepEqual(got.bytes.subarray(24), Buffer.from(f.subarray(24)), 'JPEG bytes arrive intact');
      }
      viewer.send({ type: 'chat', text: 'hello from the viewer' });
      assert.equal((await cam.nextText('chat')).text, 'hello from the viewer');
      assert.equal((await viewer.nextText('chat')).text, 'hello from the viewer', 'own echo');
      cam.send({ type: 'chat', text: 'hello from the camera' });
      const chat = await viewer.nextText('chat');
      assert.equal(chat.text, 'hello from the camera');
      assert.equal(chat.from.name, 'Cam');
    } finally {
      await Promise.all([viewer.close(), cam.close()]);
    }
  });

  it('passes key checks, and the client address nginx saw rather than one the client claims', async () => {
    const room = 'via-nginx';
    const ok = await fetch(`${nginx.url}/api/rooms/${room}/verify-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: streamKey(TEST_SECRET, room) }),
    });
    assert.deepEqual(await ok.json(), { ok: true });
    await assert.rejects(
      TestClient.connect(`ws://127.0.0.1:${nginx.port}/ws/${room}?role=broadcaster&key=wrong`, { headers: { 'x-forwarded-for': '203.0.113.9' } }),
      /401/,
    );
    await beamcast.process.waitForOutput((out) => out.includes('"upgrade refused"'), 3000, 'the refusal log line');
    const refused = beamcast.logLines().filter((l) => l.msg === 'upgrade refused');
    assert.equal(refused.at(-1)!.address, '127.0.0.1');
  });

  it('carries the Pusher protocol on the one origin: pusher-js through /app/, the SDK through /apps/', async () => {
    const client = new PusherJs(PUSHER_ENV.PUSHER_APP_KEY, { cluster: '', wsHost: '127.0.0.1', wsPort: nginx.port, forceTLS: false, enabledTransports: ['ws'] });
    try {
      const ch = client.subscribe('orders');
      await once((cb) => ch.bind('pusher:subscription_succeeded', cb));
      const got = once((cb) => ch.bind('OrderShipped', cb));
      const sdk = new Pusher({ appId: PUSHER_ENV.PUSHER_APP_ID, key: PUSHER_ENV.PUSHER_APP_KEY, secret: PUSHER_ENV.PUSHER_APP_SECRET, host: '127.0.0.1', port: String(nginx.port), useTLS: false });
      const batch = Array.from({ length: 10 }, (_, i) => ({ channel: 'orders', name: 'OrderShipped', data: { i, pad: 'x'.repeat(9000) } }));
      await sdk.triggerBatch(batch);
      assert.equal(((await got) as { i: number }).i, 0, 'a full batch of 10 events of about 9 KB passes nginx');
    } finally {
      client.disconnect();
    }
  });
});
