import assert from 'node:assert/strict';
import { parseEnv } from 'node:util';
import { describe, test } from 'vitest';
import { originAllowed, originMatcher } from '../../src/transport/pusher/allowed-origin.js';
import { laravelEnvBlock, pusherEndpoints, pusherJsSnippet } from '../../src/transport/pusher/client-setup.js';

const app = { id: '483210', key: 'ux8r2kq0m3v9t6c1z5ab', secret: '9c3f0d5e7a1b24c68e0f13579bdf2468' };
const local = pusherEndpoints({ host: '0.0.0.0', httpPort: 8080, wsPort: 8081, publicUrl: '', publicWsUrl: '' });

// What a Laravel app ends up with: dotenv with ${VAR} expansion, as phpdotenv and Vite do it.
function expand(block: string): Record<string, string> {
  const raw = parseEnv(block) as Record<string, string>;
  const resolve = (v: string): string => v.replace(/\$\{(\w+)\}/g, (_, name: string) => resolve(raw[name] ?? ''));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, resolve(v)]));
}

describe('the Laravel .env block', () => {
  test('points the HTTP API at PORT and Echo\'s WebSocket at WS_PORT, for the reverb and pusher broadcasters', () => {
    const env = expand(laravelEnvBlock(app, local));
    assert.equal(env.BROADCAST_CONNECTION, 'reverb');
    assert.deepEqual([env.REVERB_APP_ID, env.REVERB_APP_KEY, env.REVERB_APP_SECRET], [app.id, app.key, app.secret]);
    assert.deepEqual([env.REVERB_HOST, env.REVERB_PORT, env.REVERB_SCHEME], ['localhost', '8080', 'http']);
    assert.deepEqual([env.VITE_REVERB_APP_KEY, env.VITE_REVERB_HOST, env.VITE_REVERB_PORT, env.VITE_REVERB_SCHEME], [app.key, 'localhost', '8081', 'http']);
    assert.deepEqual([env.PUSHER_APP_ID, env.PUSHER_APP_KEY, env.PUSHER_APP_SECRET], [app.id, app.key, app.secret]);
    assert.deepEqual([env.PUSHER_HOST, env.PUSHER_PORT, env.PUSHER_SCHEME, env.PUSHER_APP_CLUSTER], ['localhost', '8080', 'http', 'mt1']);
    assert.deepEqual([env.VITE_PUSHER_APP_KEY, env.VITE_PUSHER_HOST, env.VITE_PUSHER_PORT, env.VITE_PUSHER_SCHEME], [app.key, 'localhost', '8081', 'http']);
  });

  test('holds the secret once, and not at all when asked to leave it out', () => {
    const block = laravelEnvBlock(app, local);
    assert.equal(block.split(app.secret).length - 1, 1);
    const without = laravelEnvBlock(app, local, { secret: false, secretHint: 'DATA_DIR/pusher-app.json' });
    assert.ok(!without.includes(app.secret));
    assert.match(without, /DATA_DIR\/pusher-app\.json/);
    assert.equal(expand(without).REVERB_APP_SECRET, '');
  });

  test('quotes a secret with characters .env files treat specially', () => {
    for (const secret of ['a#b$c"d', "it's"]) {
      assert.equal(expand(laravelEnvBlock({ ...app, secret }, local)).REVERB_APP_SECRET, secret);
    }
  });

  test('uses the public URLs behind a proxy, with TLS where they say so', () => {
    const e = pusherEndpoints({ host: '0.0.0.0', httpPort: 8080, wsPort: 8081, publicUrl: 'https://cam.example.org', publicWsUrl: 'same-origin' });
    assert.deepEqual(e, { api: { scheme: 'https', host: 'cam.example.org', port: 443 }, ws: { scheme: 'https', host: 'cam.example.org', port: 443 } });
    const split = pusherEndpoints({ host: '10.0.0.5', httpPort: 8080, wsPort: 8081, publicUrl: '', publicWsUrl: 'wss://ws.example.org:8443' });
    assert.deepEqual(split, { api: { scheme: 'http', host: '10.0.0.5', port: 8080 }, ws: { scheme: 'https', host: 'ws.example.org', port: 8443 } });
    const env = expand(laravelEnvBlock(app, e));
    assert.deepEqual([env.REVERB_SCHEME, env.REVERB_PORT, env.VITE_REVERB_SCHEME, env.VITE_REVERB_PORT], ['https', '443', 'https', '443']);
  });
});

describe('the pusher-js snippet', () => {
  test('connects to WS_PORT with the key, authorizes through /pusher/auth on the HTTP port, and never holds the secret', () => {
    const s = pusherJsSnippet(app, local);
    assert.ok(!s.includes(app.secret));
    assert.match(s, /new Pusher\("ux8r2kq0m3v9t6c1z5ab", \{/);
    assert.match(s, /wsHost: "localhost",/);
    assert.match(s, /wsPort: 8081,/);
    assert.match(s, /forceTLS: false,/);
    assert.match(s, /cluster: ''/);
    assert.match(s, /endpoint: "http:\/\/localhost:8080\/pusher\/auth"/);
  });

  test('uses wss and the default port in the auth URL behind a TLS proxy', () => {
    const s = pusherJsSnippet(app, pusherEndpoints({ host: '0.0.0.0', httpPort: 1, wsPort: 2, publicUrl: 'https://cam.example.org', publicWsUrl: 'same-origin' }));
    assert.match(s, /wssPort: 443,/);
    assert.match(s, /forceTLS: true,/);
    assert.match(s, /enabledTransports: \['wss'\]/);
    assert.match(s, /endpoint: "https:\/\/cam\.example\.org\/pusher\/auth"/);
  });
});

describe('allowed origins', () => {
  test('* allows every origin; clients without an Origin are never refused', () => {
    assert.ok(originAllowed(['*'], 'https://evil.example'));
    assert.ok(originAllowed(['https://a.example.org'], undefined));
    assert.ok(originAllowed(['https://a.example.org'], ''));
  });

  test('full origins match scheme, host and port exactly', () => {
    const ok = originMatcher(['https://a.example.org', 'http://localhost:5173']);
    assert.ok(ok('https://a.example.org'));
    assert.ok(ok('https://A.EXAMPLE.ORG'));
    assert.ok(ok('http://localhost:5173'));
    assert.ok(!ok('http://a.example.org'));
    assert.ok(!ok('https://a.example.org:8443'));
    assert.ok(!ok('https://a.example.org.evil.example'));
    assert.ok(!ok('http://localhost:5174'));
    assert.ok(!ok('null'));
  });

  test('Reverb host patterns match the Origin\'s host, * standing for any run of characters', () => {
    const ok = originMatcher(['example.org', '*.example.com', 'localhost:5173']);
    assert.ok(ok('https://example.org'));
    assert.ok(ok('http://example.org:8080'));
    assert.ok(ok('https://shop.example.com'));
    assert.ok(ok('https://a.b.example.com'));
    assert.ok(!ok('https://example.com'));
    assert.ok(!ok('https://notexample.org'));
    assert.ok(!ok('https://example.org.evil.example'));
    assert.ok(ok('http://localhost:5173'));
    assert.ok(!ok('http://localhost:3000'));
    assert.ok(!ok('https://exampleXorg'), 'a dot in a pattern is a dot, not any character');
  });
});
