import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ROOT, ensureBuilt } from '../helpers/ensure-built.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const WEB = join(ROOT, 'dist/web');
const IMMUTABLE = 'public, max-age=31536000, immutable';

describe('pages over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    ensureBuilt();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const get = (path: string) => fetch(server.httpUrl(path), { redirect: 'manual' });

  it('built pages reference their scripts, style and icon by content-hashed names', () => {
    const pages = readdirSync(WEB).filter((f) => f.endsWith('.html'));
    assert.ok(pages.length >= 3, pages.join());
    for (const page of pages) {
      const refs = [...readFileSync(join(WEB, page), 'utf8').matchAll(/(?:src|href)="\/static\/([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 0, `${page} references assets`);
      for (const ref of refs) {
        assert.match(ref, /-[A-Z0-9]{8}\.(js|css|svg)$/, `${page} references ${ref} by a hashed name`);
        assert.ok(existsSync(join(WEB, ref)), `${ref} exists`);
      }
    }
  });

  it('serves hashed assets as immutable and revalidates the HTML on every load', async () => {
    const html = await (await get('/camera')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), assets.join());
    for (const a of assets) {
      const r = await get(a);
      assert.equal(r.status, 200, a);
      assert.equal(r.headers.get('cache-control'), IMMUTABLE, a);
    }
    for (const path of ['/', '/camera', '/viewer/room', '/static/style.css']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('cache-control'), 'no-cache', path);
    }
  });

  it('sends a room name with capitals to the lower-case room, keeping the query', async () => {
    const r = await get('/viewer/Lab?quality=sd');
    assert.equal(r.status, 301);
    assert.equal(r.headers.get('location'), '/viewer/lab?quality=sd');
    const plain = await get('/viewer/KITCHEN');
    assert.equal(plain.headers.get('location'), '/viewer/kitchen');
  });

  it('answers an impossible room name with a page that explains the rule', async () => {
    for (const path of ['/viewer/bad%20name', '/viewer/-dash', `/viewer/${'a'.repeat(65)}`]) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/, path);
      const body = await r.text();
      assert.match(body, /That is not a room name/);
      assert.match(body, /1 to 64 characters/);
      assert.doesNotMatch(body, /<script|style=|\son[a-z]+=/i, 'no inline script, style or handler');
    }
  });
});
