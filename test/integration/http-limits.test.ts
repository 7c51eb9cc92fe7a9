import assert from 'node:assert/strict';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ensureBuilt } from '../helpers/ensure-built.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A raw client: sends `head` at once, then `drip` one piece every `everyMs` until the server
 * closes. Resolves with what the server answered and how long it kept the connection.
 */
function trickle(port: number, head: string, drip: string | null, everyMs = 100): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | null = null;
    sock.on('connect', () => {
      sock.write(head);
      if (drip !== null) timer = setInterval(() => sock.writable && sock.write(drip), everyMs);
    });
    sock.on('data', (c) => (answer += c.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      if (timer) clearInterval(timer);
      resolve({ answer, ms: performance.now() - started });
    });
    // Far beyond the 1 s limit under test: without it the server would hold the socket for ever.
    setTimeout(() => {
      sock.destroy();
      reject(new Error(`the server still held the connection after 8 s; it answered ${JSON.stringify(answer)}`));
    }, 8000).unref();
  });
}

describe('HTTP limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    ensureBuilt();
    server = await startTestServer({ httpRequestTimeout: '1', httpKeepAliveTimeout: '1', httpBodyLimit: '1024' });
  });
  afterAll(async () => {
    await server.stop();
  });

  // Each of these waits for a timeout: they run side by side.
  describe.concurrent('timeouts', () => {
    it('a body trickled in a byte at a time is cut with 408 after HTTP_REQUEST_TIMEOUT', async () => {
      const head = 'POST /api/rooms/lab/verify-key HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
      const r = await trickle(server.httpPort, head, ' ');
      assert.match(r.answer, /^HTTP\/1\.1 408 /);
      assert.ok(r.ms < 4000, `closed after ${Math.round(r.ms)} ms`);
    });

    it('a body that never arrives is cut too', async () => {
      const r = await trickle(server.httpPort, 'POST /api/rooms/lab/verify-key HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n', null);
      assert.match(r.answer, /^HTTP\/1\.1 408 /);
      assert.ok(r.ms < 4000, `closed after ${Math.round(r.ms)} ms`);
    });

    it('headers sent a line at a time (slowloris) are cut too', async () => {
      const r = await trickle(server.httpPort, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
      assert.match(r.answer, /^HTTP\/1\.1 408 /);
      assert.ok(r.ms < 4000, `closed after ${Math.round(r.ms)} ms`);
    });

    it('a connection that never sends a byte is closed after HTTP_REQUEST_TIMEOUT', async () => {
      const r = await trickle(server.httpPort, '', null);
      assert.ok(r.ms < 4000, `closed after ${Math.round(r.ms)} ms`);
    });

    it('an idle keep-alive connection is closed after HTTP_KEEPALIVE_TIMEOUT', async () => {
      const r = await trickle(server.httpPort, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', null);
      assert.match(r.answer, /^HTTP\/1\.1 200 /);
      assert.match(r.answer, /keep-alive/i, 'the connection was kept for more requests');
      assert.ok(r.ms < 4000, `closed after ${Math.round(r.ms)} ms`);
    });
  });

  it('a body over HTTP_BODY_LIMIT is refused with 413 BODY_TOO_LARGE', async () => {
    const res = await fetch(server.httpUrl('/api/rooms/lab/verify-key'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'x'.repeat(2000) }),
    });
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), { error: 'BODY_TOO_LARGE', message: 'request body is larger than the limit' });
  });

  it('/api/* answers 429 RATE_LIMITED with Retry-After past HTTP_RATE_LIMIT; pages and health checks are not limited', async () => {
    const limited = await startTestServer({ httpRateLimit: '5' });
    try {
      for (let i = 0; i < 5; i++) {
        const ok = await fetch(limited.httpUrl(i % 2 ? '/api/rooms' : '/api/rooms/nobody/snapshot.jpg'));
        await ok.arrayBuffer();
        assert.notEqual(ok.status, 429);
        assert.equal(ok.headers.get('x-ratelimit-remaining'), String(4 - i));
      }
      // A client cannot pick another address without TRUST_PROXY.
      const over = await fetch(limited.httpUrl('/api/rooms'), { headers: { 'x-forwarded-for': '203.0.113.7' } });
      assert.equal(over.status, 429);
      const retryAfter = Number(over.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${over.headers.get('retry-after')}`);
      assert.deepEqual(await over.json(), { error: 'RATE_LIMITED', message: 'too many requests from this address; try again after Retry-After seconds' });
      for (const path of ['/healthz', '/readyz', '/', '/viewer/lab', '/static/style.css']) {
        const res = await fetch(limited.httpUrl(path));
        await res.arrayBuffer();
        assert.equal(res.status, 200, path);
      }
    } finally {
      await limited.stop();
    }
  });

  it('behind TRUST_PROXY, each X-Forwarded-For client has its own budget', async () => {
    const proxied = await startTestServer({ httpRateLimit: '2', trustProxy: 'true' });
    try {
      const get = async (from: string) => {
        const res = await fetch(proxied.httpUrl('/api/rooms'), { headers: { 'x-forwarded-for': from } });
        await res.arrayBuffer();
        return res.status;
      };
      assert.deepEqual([await get('203.0.113.1'), await get('203.0.113.1'), await get('203.0.113.1')], [200, 200, 429]);
      assert.deepEqual([await get('203.0.113.2'), await get('2001:db8:1:2::1')], [200, 200]);
      assert.deepEqual([await get('2001:db8:1:2::2'), await get('2001:db8:1:2::3')], [200, 429], 'IPv6 counts per /64');
    } finally {
      await proxied.stop();
    }
  });
});

describe('security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    ensureBuilt();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const headersOf = async (s: TestServer, path: string, init: RequestInit = {}) => {
    const res = await fetch(s.httpUrl(path), init);
    await res.arrayBuffer();
    return res.headers;
  };
  const csp = (h: Headers) => new Map((h.get('content-security-policy') ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));

  it('pages get a CSP without inline script or style, nosniff, no-referrer and same-origin framing', async () => {
    for (const path of ['/', '/camera', '/viewer/lab']) {
      const h = await headersOf(server, path);
      const p = csp(h);
      assert.deepEqual(p.get('script-src'), ["'self'"], path);
      assert.deepEqual(p.get('script-src-attr'), ["'none'"]);
      assert.deepEqual(p.get('style-src'), ["'self'"]);
      assert.deepEqual(p.get('default-src'), ["'self'"]);
      assert.deepEqual(p.get('object-src'), ["'none'"]);
      assert.deepEqual(p.get('frame-ancestors'), ["'self'"]);
      assert.deepEqual(p.get('connect-src'), ["'self'", `ws://127.0.0.1:${server.wsPort}`, `wss://127.0.0.1:${server.wsPort}`]);
      assert.ok(!h.get('content-security-policy')!.includes('unsafe'), 'nothing unsafe anywhere');
      assert.ok(!p.has('upgrade-insecure-requests'), 'plain-HTTP deployments keep working');
      assert.equal(h.get('x-content-type-options'), 'nosniff');
      assert.equal(h.get('referrer-policy'), 'no-referrer');
      assert.equal(h.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(h.get('cross-origin-resource-policy'), 'same-origin');
      assert.equal(h.get('strict-transport-security'), null, 'HSTS is the TLS proxy\'s decision');
    }
  });

  it('JSON answers, refusals and unknown paths carry the same headers as pages', async () => {
    const page = await headersOf(server, '/viewer/lab');
    for (const [path, init] of [['/api/rooms', {}], ['/healthz', {}], ['/no/such/page', {}], ['/api/rooms/lab/verify-key', { method: 'POST', body: 'x' }]] as const) {
      const h = await headersOf(server, path, init);
      for (const name of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options', 'cross-origin-resource-policy']) {
        assert.equal(h.get(name), page.get(name), `${name} on ${path}`);
      }
    }
  });

  it('snapshots and MJPEG may be shown by other sites', async () => {
    for (const path of ['/api/rooms/lab/snapshot.jpg', '/api/rooms/lab/stream.mjpg']) {
      assert.equal((await headersOf(server, path)).get('cross-origin-resource-policy'), 'cross-origin', path);
    }
  });

  it('FRAME_ANCESTORS lets an operator allow embedding, or forbid it', async () => {
    const open = await startTestServer({ frameAncestors: "'self' https://example.org" });
    const closed = await startTestServer({ frameAncestors: 'none' });
    try {
      const h = await headersOf(open, '/viewer/lab');
      assert.deepEqual(csp(h).get('frame-ancestors'), ["'self'", 'https://example.org']);
      assert.equal(h.get('x-frame-options'), null, 'X-Frame-Options cannot name another origin');
      const n = await headersOf(closed, '/viewer/lab');
      assert.deepEqual(csp(n).get('frame-ancestors'), ["'none'"]);
      assert.equal(n.get('x-frame-options'), 'DENY');
    } finally {
      await Promise.all([open.stop(), closed.stop()]);
    }
  });

  it('connect-src names the WebSocket origin of PUBLIC_WS_URL, or the proxy\'s host with same-origin', async () => {
    const pub = await startTestServer({ publicWsUrl: 'https://cam.example.org/live' });
    const same = await startTestServer({ publicWsUrl: 'same-origin', trustProxy: 'true' });
    try {
      assert.deepEqual(csp(await headersOf(pub, '/viewer/lab')).get('connect-src'), ["'self'", 'wss://cam.example.org']);
      const h = await headersOf(same, '/viewer/lab', { headers: { 'x-forwarded-host': 'cams.example.net' } });
      assert.deepEqual(csp(h).get('connect-src'), ["'self'", 'ws://cams.example.net', 'wss://cams.example.net']);
      const bad = await headersOf(same, '/viewer/lab', { headers: { 'x-forwarded-host': "evil.org 'unsafe-inline'" } });
      assert.deepEqual(csp(bad).get('connect-src'), ["'self'"], 'a Host that is not a plain host[:port] adds nothing');
    } finally {
      await Promise.all([pub.stop(), same.stop()]);
    }
  });
});
