import assert from 'node:assert/strict';
import { test } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { UsageError, parsePublishArgs } from '../../src/ingest/publish-options.js';
import { StatusLine } from '../../src/ingest/status-line.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parsePublishArgs(argv, env, null);

test('publish defaults to the server settings: WS_PORT, HOST and a key derived from STREAM_SECRET', () => {
  const o = parse(['--room', 'lab'], { WS_PORT: '9001', STREAM_SECRET: 's3' })!;
  assert.equal(o.wsBase, 'ws://127.0.0.1:9001', 'a wildcard HOST means this machine');
  assert.equal(o.key, streamKey('s3', 'lab'));
  assert.equal(o.keySource, 'secret');
  assert.equal(o.input, '-');
  // Server flags are read as the server reads them; the CLI's own flags win for what they set.
  const f = parse(['--room', 'lab', '--ws-port', '9100', '--host=::1', '--stream-secret', 'x', '--fps', '12', 'in.mjpeg'])!;
  assert.deepEqual([f.wsBase, f.key, f.fps, f.input], ['ws://[::1]:9100', streamKey('x', 'lab'), 12, 'in.mjpeg']);
  const u = parse(['--room', 'lab', '--key', 'k', '--ws-url', 'wss://cam.example/', '-'], { WS_PORT: '9001' })!;
  assert.deepEqual([u.wsBase, u.key, u.keySource, u.input], ['wss://cam.example', 'k', 'flag', '-']);
  assert.equal(parse(['--help']), null);
  // A token that grants publish goes instead of the key: no key is derived.
  const t = parse(['--room', 'lab', '--token', 'abc.def'], { STREAM_SECRET: 's3' })!;
  assert.deepEqual([t.token, t.key, t.keySource], ['abc.def', '', 'token']);
});

test('--tiers is a switch: the argument after it is still the input', () => {
  assert.equal(parse(['--room', 'lab', '--key', 'k'])!.tiers, false);
  const o = parse(['--room', 'lab', '--key', 'k', '--tiers', 'in.mjpeg'])!;
  assert.deepEqual([o.tiers, o.input], [true, 'in.mjpeg']);
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', '--tiers=yes']), /--tiers takes no value/);
});

test('publish refuses what it cannot use, in words', () => {
  assert.throws(() => parse(['--room', 'Bad Room', '--key', 'k']), (e: Error) => e instanceof UsageError && /--room must be a room name/.test(e.message));
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', '--ws-port', 'x']), /--ws-port \(WS_PORT\) must be an integer/);
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', '--nope', '1']), /Unknown option --nope; publish takes --room/);
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', '--ws-port', '0']), /WS_PORT is 0/);
  assert.throws(() => parse(['--room', 'lab', '--key']), /--key needs a value/);
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', 'a', 'b']), /one input at most/);
  assert.throws(() => parse(['--room', 'lab', '--key', 'k', '--token', 't']), /--key or --token, not both/);
});

test('the status line redraws in place, keeps log lines above it and fits the terminal', () => {
  let out = '';
  const line = new StatusLine({ write: (s: string) => (out += s), columns: 200 });
  line.update({ state: 'live', sent: 0, dropped: 0, bytes: 0, viewers: 2 }, 0);
  line.update({ state: 'live', sent: 20, dropped: 1, bytes: 250_000, viewers: 2 }, 1000);
  assert.ok(out.endsWith('\r\x1b[Klive · sent 20 · dropped 1 · 20.0 fps · 2000 kbit/s · 2 viewers'), out);
  out = '';
  line.log('publish: connected');
  assert.equal(out, '\r\x1b[Kpublish: connected\nlive · sent 20 · dropped 1 · 20.0 fps · 2000 kbit/s · 2 viewers');
  const narrow = new StatusLine({ write: (s: string) => (out = s), columns: 20 });
  narrow.update({ state: 'retrying', sent: 0, dropped: 0, bytes: 0, viewers: null });
  assert.equal(out, '\r\x1b[Kreconnecting · sent');
});
