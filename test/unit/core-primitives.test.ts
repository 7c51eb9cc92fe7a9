import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ConnectionLimiter } from '../../src/core/connection-limiter.js';
import { FpsMeter } from '../../src/core/fps-meter.js';
import { isValidStreamKey, streamKey } from '../../src/core/stream-key.js';
import { TokenBucket } from '../../src/core/token-bucket.js';
import { isValidRoomName, type ChatMessage } from '../../src/protocol/index.js';
import { memoryChat } from '../helpers/local-rooms.js';

const sender = { id: 'a', name: 'A', color: 'red', role: 'viewer' as const };
const msg = (id: number): ChatMessage => ({ type: 'chat', id, at: 0, from: sender, text: `m${id}` });

test('room chat keeps ids increasing and answers "since" with truncation', () => {
  const { chat: log, post } = memoryChat(3);
  for (let i = 1; i <= 5; i++) post(`m${i}`, sender);
  assert.equal(log.latestId, 5);
  assert.deepEqual(log.last(10).map((m) => m.id), [3, 4, 5]);
  assert.deepEqual(log.since(3), { messages: [msg(4), msg(5)], truncated: false });
  assert.deepEqual(log.since(2).truncated, false);
  assert.deepEqual(log.since(0).messages.map((m) => m.id), [3, 4, 5]);
  assert.equal(log.since(0).truncated, true);
  assert.deepEqual(log.since(5), { messages: [], truncated: false });
  assert.deepEqual(log.since(99), { messages: [], truncated: false });
  assert.deepEqual(memoryChat(3).chat.since(0), { messages: [], truncated: false });
});

test('token bucket allows the burst, then the rate', () => {
  const b = new TokenBucket(2, 3, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
  assert.equal(b.take(400), false);
  assert.equal(b.take(500), true);
  assert.equal(b.take(10_000), true);
  assert.equal(b.take(10_000), true);
  assert.equal(b.take(10_000), true);
  assert.equal(b.take(10_000), false);
});

test('fps meter averages whole seconds and ignores the running one', () => {
  const m = new FpsMeter(5);
  for (let s = 0; s < 4; s++) for (let i = 0; i < 15; i++) m.tick(s * 1000 + i * 60);
  assert.equal(m.fps(4000), 15);
  assert.equal(m.fps(20_000), 0);
});

test('connection limiter counts per address; 0 is unlimited', () => {
  const l = new ConnectionLimiter(2);
  assert.deepEqual([l.tryAcquire('x'), l.tryAcquire('x'), l.tryAcquire('x'), l.tryAcquire('y')], [true, true, false, true]);
  l.release('x');
  assert.equal(l.tryAcquire('x'), true);
  l.release('x');
  l.release('x');
  l.release('y');
  assert.equal(l.addresses, 0);
  const free = new ConnectionLimiter(0);
  for (let i = 0; i < 1000; i++) assert.equal(free.tryAcquire('z'), true);
});

test('connection limiter bounds how fast an address opens connections, and forgets it once its budget refilled', () => {
  const l = new ConnectionLimiter(0, 2, 3); // 2 per second, 3 at once
  const t = 1_000_000;
  assert.deepEqual(['a', 'a', 'a', 'a'].map((x) => l.acquire(x, t)), ['ok', 'ok', 'ok', 'too_fast']);
  assert.equal(l.acquire('b', t), 'ok', 'another address has its own budget');
  // Closing does not give the budget back: reconnecting in a loop is what the rate bounds.
  for (let i = 0; i < 3; i++) l.release('a', t);
  assert.equal(l.acquire('a', t), 'too_fast');
  assert.equal(l.acquire('a', t + 500), 'ok', 'one more after half a second');
  l.release('a', t + 500);
  l.release('b', t + 500);
  l.sweep(t + 1000);
  assert.equal(l.addresses, 1, 'a is still refilling');
  l.sweep(t + 2000);
  assert.equal(l.addresses, 0, 'a full budget is what a new entry starts with: nothing to keep');
  assert.equal(new ConnectionLimiter(1, 100, 100).acquire('c', t) === 'ok' && 'ok', 'ok');
});

test('stream keys are 32 hex chars of HMAC-SHA256(secret, room)', () => {
  // Reference value from: printf demo | openssl dgst -sha256 -hmac s3cret
  const k = streamKey('s3cret', 'demo');
  assert.equal(k, 'cef80a7f3d9c9c74e59ae94e34cd8736');
  assert.equal(isValidStreamKey('s3cret', 'demo', k), true);
  assert.equal(isValidStreamKey('s3cret', 'demo', k.toUpperCase()), true);
  assert.equal(isValidStreamKey('s3cret', 'other', k), false);
  assert.equal(isValidStreamKey('other', 'demo', k), false);
  assert.equal(isValidStreamKey('s3cret', 'demo', undefined), false);
  assert.equal(isValidStreamKey('s3cret', 'demo', k.slice(0, 31)), false);
});

test('room names: 1-64 of [a-z0-9_-], starting with a letter or digit', () => {
  for (const ok of ['a', '0', 'demo', 'lab_1-b', 'x'.repeat(64)]) assert.equal(isValidRoomName(ok), true, ok);
  for (const bad of ['', '-a', '_a', 'A', 'a b', 'a/b', 'é', 'x'.repeat(65), 'a%20']) assert.equal(isValidRoomName(bad), false, bad);
});
