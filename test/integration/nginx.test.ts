import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding } from '../helpers/binaries.js';
import { nginxSiteFor, repoFile } from '../helpers/deploy-files.js';
import { freePort, waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { nginxSkip, startNginx, type NginxServer } from '../helpers/nginx-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';
import Pusher from 'pusher';
import { PusherJs } from '../helpers/pusher-js-client.js';
import { once } from '../helpers/pusher-server.js';

const PUSHER_ENV = { PUSHER_APP_ID: '11', PUSHER_APP_KEY: 'nginx-key', PUSHER_APP_SECRET: 'nginx-secret' };

describeNeeding(nginxSkip(), 'nginx in front (deploy/nginx/beamcast.conf)', () => {
  let beamcast: BeamcastProcess;
  let nginx: NginxServer;
  const logDir = mkdtempSync(join(tmpdir(), 'beamcast-nginx-log-'));
  const accessLog = join(logDir, 'access.log');
  beforeAll(async () => {
    // As docker-compose.yml runs it: behind the proxy, pages open WebSockets on their own origin.
    beamcast = await startBeamcastProcess({ TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '', MAX_FPS: '240', ...PUSHER_ENV });
    try {
      const port = await freePort();
      nginx = await startNginx(nginxSiteFor(beamcast.httpPort, beamcast.wsPort, port, accessLog), port);
    } catch (err) {
      await beamcast.stop();
      throw err;
    }
  });
  afterAll(async () => {
    await nginx?.stop();
    await beamcast.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  /** GET with the path exactly as written (fetch would normalise dot segments). */
  function rawGet(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: nginx.port, path, method: 'GET', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

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

  it('answers no spelling of /metrics with the metrics (encoded, dotted, doubled slashes, arguments)', async () => {
    const spellings = ['/metrics', '/metrics?x=1', '/metrics/', '//metrics', '/./metrics', '/api/../metrics', '/%6detrics', '/%2fmetrics', '/METRICS', '/metrics;x', '/metrics%3F', '/ws/../metrics'];
    for (const path of spellings) {
      const res = await rawGet(path);
      assert.doesNotMatch(res.body, /beamcast_|process_cpu/, `${path} must not expose metrics (status ${res.status})`);
      assert.notEqual(res.status, 200, `${path} answers an error`);
    }
  });

  it('keeps stream keys out of its access log: paths without query strings', async () => {
    const room = 'via-nginx-log';
    const key = streamKey(TEST_SECRET, room);
    await (await fetch(`${nginx.url}/camera?room=${room}&key=${key}`)).arrayBuffer();
    const cam = await TestClient.connect(`ws://127.0.0.1:${nginx.port}/ws/${room}?role=broadcaster&key=${key}`);
    await cam.nextText('welcome');
    await cam.close();
    // nginx writes a WebSocket's line when the tunnel closes.
    const log = await waitFor(
      async () => {
        const text = existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '';
        return text.includes(`/ws/${room}`) ? text : undefined;
      },
      5000,
      'the WebSocket\'s access log line',
    );
    assert.match(log, /"GET \/camera HTTP\/1\.1" 200 /);
    assert.match(log, new RegExp(`"GET /ws/${room} HTTP/1\\.1" 101 `));
    assert.ok(!log.includes(key), 'no stream key in the access log');
    assert.ok(!log.includes('key='), 'no query string in the access log');
  });

  it('limits new WebSockets per client address: past a burst of 30 they get 429, other addresses are not affected', async () => {
    // From another loopback address, so the limit does not reach this file's other tests.
    const from = '127.0.0.2';
    const started = Date.now();
    const attempts = await Promise.allSettled(
      Array.from({ length: 45 }, () => TestClient.connect(`ws://127.0.0.1:${nginx.port}/ws/via-nginx-burst`, { localAddress: from })),
    );
    const elapsedSec = (Date.now() - started) / 1000;
    const opened = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const statuses = attempts.flatMap((a) => (a.status === 'rejected' ? [(a.reason as { status?: number }).status] : []));
    try {
      assert.ok(statuses.length > 0 && statuses.every((st) => st === 429), `refused with 429: ${statuses.join(',')}`);
      // One request, the burst of 30, and 5 a second while the attempts were made.
      assert.ok(opened.length >= 31 && opened.length <= 31 + Math.ceil(elapsedSec * 5), `${opened.length} opened in ${elapsedSec} s`);
      const other = await TestClient.connect(`ws://127.0.0.1:${nginx.port}/ws/via-nginx-burst`);
      await other.close();
    } finally {
      await Promise.all(opened.map((c) => c.close()));
    }
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
