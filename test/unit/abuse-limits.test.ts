import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, vi } from 'vitest';
import type { RoomChat } from '../../src/core/room-chat.js';
import { memoryChat } from '../helpers/local-rooms.js';
import { ErrorReporter } from '../../src/core/error-reporter.js';
import { historyPageJson } from '../../src/core/history-page.js';
import { MAX_STRIKES, RATE_GRACE, Strikes } from '../../src/core/strikes.js';
import { TokenBucket } from '../../src/core/token-bucket.js';
import { CLIENT_MESSAGE_TYPES, REQUEST_COSTS, type ErrorMessage, type HistoryMessage } from '../../src/protocol/index.js';

const sender = { id: 'a', name: 'A', color: 'red', role: 'viewer' as const };

function logOf(n: number, text: (id: number) => string, capacity = 500): RoomChat {
  const { chat, post } = memoryChat(capacity);
  for (let id = 1; id <= n; id++) post(text(id), sender);
  return chat;
}

const page = (log: RoomChat, since: number | null, maxBytes: number) => {
  const json = historyPageJson(log, 'e1', { since, tail: 50, maxBytes });
  return { json, bytes: Buffer.byteLength(json), h: JSON.parse(json) as HistoryMessage };
};

describe('history pages', () => {
  it('count bytes on the JSON, where a control character takes six', () => {
    const log = logOf(100, () => '\u0001'.repeat(200)); // ~1.3 KB of JSON each, 200 chars of text
    const { bytes, h } = page(log, 0, 16 * 1024);
    assert.ok(bytes <= 16 * 1024, `${bytes} bytes`);
    assert.ok(h.messages.length >= 10 && h.messages.length < 14, `${h.messages.length} messages fit`);
    assert.equal(h.more, true);
    assert.equal(h.nextSince, h.messages.at(-1)!.id);
  });

  it('hold everything that fits, with more: false and no nextSince', () => {
    const { h, json } = page(logOf(5, (id) => `m${id}`), 2, 16 * 1024);
    assert.deepEqual(h.messages.map((m) => m.id), [3, 4, 5]);
    assert.equal(h.more, false);
    assert.ok(!json.includes('nextSince'));
    assert.equal(h.latestId, 5);
    assert.equal(h.chatEpoch, 'e1');
  });

  it('on joining, hold the newest messages that fit, in order', () => {
    const { h, bytes } = page(logOf(300, () => 'x'.repeat(1000)), null, 16 * 1024);
    assert.ok(bytes <= 16 * 1024);
    assert.equal(h.messages.at(-1)!.id, 300);
    const ids = h.messages.map((m) => m.id);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => 301 - ids.length + i));
    assert.equal(h.more, false);
  });

  it('always hold at least one message, so paging moves on', () => {
    const { h } = page(logOf(3, () => 'y'.repeat(30_000)), 0, 16 * 1024);
    assert.deepEqual(h.messages.map((m) => m.id), [1]);
    assert.equal(h.nextSince, 1);
  });

  it('say truncated when messages after since were evicted', () => {
    const { h } = page(logOf(20, (id) => `m${id}`, 10), 3, 16 * 1024);
    assert.equal(h.truncated, true);
    assert.equal(h.messages[0]!.id, 11);
  });
});

describe('request costs', () => {
  it('give every client message type a cost, and only chat (own bucket) is free', () => {
    assert.deepEqual(Object.keys(REQUEST_COSTS).sort(), [...CLIENT_MESSAGE_TYPES].sort());
    for (const t of CLIENT_MESSAGE_TYPES) assert.ok(t === 'chat' ? REQUEST_COSTS[t] === 0 : REQUEST_COSTS[t] > 0, t);
  });

  it('are taken whole from a token bucket, or not at all', () => {
    const b = new TokenBucket(4, 10, 0);
    assert.ok(b.take(0, 4) && b.take(0, 4));
    assert.ok(!b.take(0, 4), 'two tokens left');
    assert.ok(b.take(0, 2));
    assert.ok(b.take(1000, 4), 'one second refills four');
  });
});

describe('strikes', () => {
  it('close after MAX_STRIKES invalid messages within the window, and forget after it', () => {
    const s = new Strikes();
    for (let i = 0; i < MAX_STRIKES; i++) assert.equal(s.strike(1000), false);
    assert.equal(s.strike(1000), true);
    const t = new Strikes();
    for (let i = 0; i < MAX_STRIKES; i++) t.strike(1000);
    assert.equal(t.strike(20_000), false, 'a new window');
  });

  it('forgive RATE_GRACE rate-limited messages per window, then count each as a strike', () => {
    const s = new Strikes();
    for (let i = 0; i < RATE_GRACE; i++) s.overLimit(1000);
    assert.equal(s.count, 0);
    for (let i = 0; i < MAX_STRIKES; i++) assert.equal(s.overLimit(1000), false);
    assert.equal(s.overLimit(1000), true);
  });
});

describe('error reporter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first error at once, holds back the rest, and reports them after the interval', () => {
    const sent: ErrorMessage[] = [];
    const r = new ErrorReporter((m) => sent.push(m));
    for (let i = 0; i < 7; i++) r.report('CHAT_RATE_LIMITED', Date.now());
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.dropped, undefined);
    vi.advanceTimersByTime(999);
    assert.equal(sent.length, 1);
    vi.advanceTimersByTime(1);
    assert.equal(sent.length, 2);
    assert.equal(sent[1]!.dropped, 5, 'the trailing error plus 5 held back: 6 refusals');
    assert.equal(sent.reduce((n, m) => n + 1 + (m.dropped ?? 0), 0), 7, 'every refusal is accounted for');
    assert.equal(vi.getTimerCount(), 0, 'no timer once nothing is held back');
  });

  it('keeps one timer for all codes and reports each when its own interval has passed', () => {
    const sent: ErrorMessage[] = [];
    const r = new ErrorReporter((m) => sent.push(m));
    r.report('BAD_JSON', Date.now());
    r.report('BAD_JSON', Date.now());
    vi.advanceTimersByTime(500);
    r.report('UNKNOWN_TYPE', Date.now());
    r.report('UNKNOWN_TYPE', Date.now());
    r.report('UNKNOWN_TYPE', Date.now());
    assert.equal(vi.getTimerCount(), 1);
    vi.advanceTimersByTime(500);
    assert.deepEqual(sent.map((m) => [m.code, m.dropped]), [['BAD_JSON', undefined], ['UNKNOWN_TYPE', undefined], ['BAD_JSON', undefined]]);
    vi.advanceTimersByTime(500);
    assert.deepEqual(sent.at(-1), { type: 'error', code: 'UNKNOWN_TYPE', message: sent.at(-1)!.message, dropped: 1 });
    assert.equal(vi.getTimerCount(), 0);
  });

  it('sends nothing after dispose', () => {
    const sent: ErrorMessage[] = [];
    const r = new ErrorReporter((m) => sent.push(m));
    r.report('BAD_JSON', Date.now());
    r.report('BAD_JSON', Date.now());
    r.dispose();
    vi.advanceTimersByTime(5000);
    assert.equal(sent.length, 1);
    assert.equal(vi.getTimerCount(), 0);
  });
});
