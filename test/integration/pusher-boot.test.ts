// The built server's Pusher apps at boot: the default app and what the log offers to paste, a
// bad APPS_FILE, and no secret in the log.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import Pusher from 'pusher';
import { describe, it } from 'vitest';
import { startBeamcastProcess } from '../helpers/beamcast-process.js';
import { ROOT, ensureBuilt } from '../helpers/ensure-built.js';
import { PusherJs } from '../helpers/pusher-js-client.js';
import { once } from '../helpers/pusher-server.js';

/** The .env block as Laravel reads it: ${VAR} references expanded. */
function expand(block: string): Record<string, string> {
  const raw = parseEnv(block) as Record<string, string>;
  const resolve = (v: string): string => v.replace(/\$\{(\w+)\}/g, (_, name: string) => resolve(raw[name] ?? ''));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, resolve(v)]));
}

describe('Pusher apps at boot', () => {
  it('generates a default app, keeps it in DATA_DIR, and logs a .env block and a pusher-js snippet that work as printed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-pusher-boot-'));
    try {
      const first = await startBeamcastProcess({ LOG_LEVEL: 'info', DATA_DIR: dataDir, DEMO_ROOM: '' });
      let env: Record<string, string>;
      try {
        const lines = first.logLines();
        const block = lines.find((l) => l.paste === 'laravel-env')!;
        const snippet = lines.find((l) => l.paste === 'pusher-js')!;
        assert.ok(block && snippet, 'both are logged');
        env = expand(String(block.msg));
        const saved = JSON.parse(readFileSync(join(dataDir, 'pusher-app.json'), 'utf8')) as { id: string; key: string; secret: string };
        assert.deepEqual([env.REVERB_APP_ID, env.REVERB_APP_KEY, env.REVERB_APP_SECRET], [saved.id, saved.key, saved.secret]);
        assert.equal(Number(env.REVERB_PORT), first.httpPort);
        assert.equal(Number(env.VITE_REVERB_PORT), first.wsPort);
        assert.ok(String(snippet.msg).includes(`new Pusher(${JSON.stringify(saved.key)}`));
        assert.ok(!String(snippet.msg).includes(saved.secret), 'the page snippet holds no secret');

        // What a Laravel app would do with those values: Echo's side connects, the SDK triggers.
        const client = new PusherJs(env.VITE_REVERB_APP_KEY!, { cluster: '', wsHost: '127.0.0.1', wsPort: Number(env.VITE_REVERB_PORT), forceTLS: false, enabledTransports: ['ws'] });
        try {
          const ch = client.subscribe('orders');
          await once((cb) => ch.bind('pusher:subscription_succeeded', cb));
          const got = once((cb) => ch.bind('OrderShipped', cb));
          const sdk = new Pusher({ appId: env.PUSHER_APP_ID!, key: env.PUSHER_APP_KEY!, secret: env.PUSHER_APP_SECRET!, host: '127.0.0.1', port: env.PUSHER_PORT!, useTLS: false });
          await sdk.trigger('orders', 'OrderShipped', { id: 1 });
          assert.deepEqual(await got, { id: 1 });
        } finally {
          client.disconnect();
        }
      } finally {
        await first.stop();
      }
      const second = await startBeamcastProcess({ LOG_LEVEL: 'info', DATA_DIR: dataDir, DEMO_ROOM: '' });
      try {
        const lines = second.logLines();
        assert.ok(lines.some((l) => l.msg === 'using the Pusher app saved earlier'));
        assert.equal(expand(String(lines.find((l) => l.paste === 'laravel-env')!.msg)).REVERB_APP_KEY, env.REVERB_APP_KEY, 'the same app after a restart');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('logs no secret of a configured app, and no .env block for it', async () => {
    const secret = 'configured-app-secret-value';
    const p = await startBeamcastProcess({ LOG_LEVEL: 'debug', PUSHER_APP_ID: '7', PUSHER_APP_KEY: 'app-key', PUSHER_APP_SECRET: secret, DEMO_ROOM: '' });
    try {
      const sdk = new Pusher({ appId: '7', key: 'app-key', secret, host: '127.0.0.1', port: String(p.httpPort), useTLS: false });
      await sdk.trigger('news', 'x', {});
      await sdk.get({ path: '/channels' });
      const forged = new Pusher({ appId: '7', key: 'app-key', secret: 'wrong', host: '127.0.0.1', port: String(p.httpPort), useTLS: false });
      await assert.rejects(forged.get({ path: '/channels' }));
      await p.process.waitForOutput((out) => out.includes('pusher api request refused'), 3000, 'the refusal logged');
      const lines = p.logLines();
      assert.ok(lines.some((l) => l.msg === 'serving the Pusher protocol' && JSON.stringify(l.apps) === '["7"]'));
      assert.ok(!lines.some((l) => l.paste), 'nothing to paste: the operator configured the app');
      assert.ok(!(p.process.stdout + p.process.stderr).includes(secret));
      assert.ok(!(p.process.stdout + p.process.stderr).includes('auth_signature='), 'no signed URL in the log');
    } finally {
      await p.stop();
    }
  });

  it('stops with exit code 2 and a message naming the app and field when APPS_FILE is invalid', () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'beamcast-apps-'));
    try {
      const file = join(dir, 'apps.json');
      writeFileSync(file, JSON.stringify({ apps: [{ id: '1', key: 'k', secret: 's', max_connections: 'many' }] }));
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/server/main.js')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', APPS_FILE: file, DATA_DIR: dir, PORT: '0', WS_PORT: '0' } });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /APPS_FILE .*apps\[0\].*max_connections/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
