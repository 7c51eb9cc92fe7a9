import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'vitest';
import { ConfigError, configHelp, loadConfig } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';
import { resolveStreamSecret, saveSecretOnce } from '../../src/config/stream-secret.js';

const load = (env: Record<string, string> = {}, argv: string[] = [], envFile: string | null = null) => loadConfig({ env, argv, envFile });

test('defaults apply and the result is frozen', () => {
  const c = load();
  assert.equal(c.port, 8080);
  assert.equal(c.wsPort, 8081);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.maxFrameBytes, 1024 * 1024);
  assert.equal(c.maxFps, 30);
  assert.equal(c.maxChatLength, 500);
  assert.deepEqual(c.allowedOrigins, ['*']);
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.allowedOrigins));
});

test('CLI flags override env, which overrides the .env file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-cfg-'));
  const file = join(dir, '.env');
  writeFileSync(file, 'PORT=1111\nWS_PORT=2222\nLOG_LEVEL=debug\n');
  try {
    const c = load({ PORT: '3333', ALLOWED_ORIGINS: 'https://a.example, https://b.example' }, ['--port', '4444', '--trust-proxy', '--max-fps=12'], file);
    assert.equal(c.port, 4444);
    assert.equal(c.wsPort, 2222);
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.trustProxy, true);
    assert.equal(c.maxFps, 12);
    assert.deepEqual(c.allowedOrigins, ['https://a.example', 'https://b.example']);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a bad value fails fast naming the env var and flag', () => {
  assert.throws(() => load({ PORT: 'eighty' }), (e: Error) => e instanceof ConfigError && /PORT \(--port\) must be an integer from 0 to 65535, got "eighty"/.test(e.message));
  assert.throws(() => load({}, ['--ws-port', '70000']), /--ws-port \(WS_PORT\) must be an integer/);
  assert.throws(() => load({ LOG_LEVEL: 'loud' }), /LOG_LEVEL \(--log-level\) must be one of/);
  assert.throws(() => load({ TRUST_PROXY: 'maybe' }), /TRUST_PROXY .* must be true or false/);
  assert.throws(() => load({}, ['--no-such-thing', '1']), /Unknown option --no-such-thing/);
  assert.throws(() => load({}, ['stray']), /Unexpected argument "stray"/);
  assert.throws(() => load({ CHAT_HISTORY: '10' }), /CHAT_HISTORY .* from 50/);
});

test('PORT and WS_PORT cannot be the same port, and the message says why', () => {
  assert.throws(
    () => load({ PORT: '9000', WS_PORT: '9000' }),
    (e: Error) => e instanceof ConfigError && /PORT \(--port\) and WS_PORT \(--ws-port\) are both 9000/.test(e.message) && /a port of their own/.test(e.message),
  );
  assert.throws(() => load({}, ['--port', '8081']), /are both 8081/);
  // 0 picks a free port for each server.
  assert.equal(load({ PORT: '0', WS_PORT: '0' }).port, 0);
});

test('.env.example lists every setting and --help documents every flag', () => {
  const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const help = configHelp();
  for (const f of Object.values(configSchema)) {
    assert.match(example, new RegExp(`^${f.env}=`, 'm'), `${f.env} in .env.example`);
    assert.ok(help.includes(f.env), `${f.env} in --help`);
  }
});

test('a secret another node saved in between is the one in force, not replaced; an empty file is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-secret-'));
  try {
    const file = join(dir, 'stream-secret');
    // Nodes on one DATA_DIR start together: both found no file, the other one saved first.
    writeFileSync(file, 'theirs\n');
    assert.deepEqual(saveSecretOnce(file, 'mine'), { secret: 'theirs', saved: false });
    assert.equal(readFileSync(file, 'utf8'), 'theirs\n');
    writeFileSync(file, '');
    assert.deepEqual(saveSecretOnce(file, 'mine'), { secret: 'mine', saved: true });
    assert.equal(readFileSync(file, 'utf8'), 'mine\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['stream-secret'], 'nothing left behind');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('without STREAM_SECRET a secret is generated once, kept owner-only, and reused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-secret-'));
  try {
    const first = resolveStreamSecret('', join(dir, 'data'));
    assert.equal(first.source, 'generated');
    assert.match(first.secret, /^[0-9a-f]{64}$/);
    assert.equal(statSync(first.file!).mode & 0o777, 0o600);
    const again = resolveStreamSecret('', join(dir, 'data'));
    assert.deepEqual([again.source, again.secret], ['file', first.secret]);
    assert.equal(resolveStreamSecret('given', join(dir, 'data')).secret, 'given');
  } finally {
    rmSync(dir, { recursive: true });
  }
});
