import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { ChatMessage, HistoryMessage } from '../../src/protocol/index.js';
import { AutoQuality } from '../../src/protocol/index.js';
import { Backoff } from '../../web/lib/backoff.js';
import { ChatSync } from '../../web/lib/chat-sync.js';
import { ClockOffset } from '../../web/lib/clock-offset.js';
import { roomSocketUrl } from '../../web/lib/page-config.js';
import { RequestPacer } from '../../web/lib/request-pacer.js';

const chat = (id: number): ChatMessage => ({ type: 'chat', id, at: id, from: { id: 'a', name: 'a', color: '#fff', role: 'viewer' }, text: `m${id}` });
const history = (epoch: string, ids: number[], latestId = ids.at(-1) ?? 0): HistoryMessage => ({
  type: 'history',
  chatEpoch: epoch,
  messages: ids.map(chat),
  latestId,
  truncated: false,
  more: false,
});

describe('Backoff', () => {
  it('retries quickly with jitter first, then about every second however long the server is away', () => {
    const low = new Backoff();
    const high = new Backoff();
    const lows = Array.from({ length: 8 }, () => low.next(0));
    const highs = Array.from({ length: 8 }, () => high.next(1));
    assert.deepEqual(lows, [250, 250, 500, 500, 500, 500, 500, 500]);
    assert.deepEqual(highs, [750, 500, 1000, 1000, 1000, 1000, 1000, 1000]);
    high.reset();
    assert.equal(high.next(1), 750, 'a good connection starts over with the quick retry');
  });
});

describe('roomSocketUrl', () => {
  const page = new URL('https://cam.example.org/viewer/kitchen');
  it('uses the page host and wsPort when no public URL is set', () => {
    assert.equal(roomSocketUrl({ wsUrl: null, wsPort: 8081 }, 'kitchen', { role: 'viewer' }, new URL('http://127.0.0.1:8080/')), 'ws://127.0.0.1:8081/ws/kitchen?role=viewer');
    assert.equal(roomSocketUrl({ wsUrl: null, wsPort: 9001 }, 'k', {}, page), 'wss://cam.example.org:9001/ws/k');
  });
  it('appends /ws/:room to a path-less base, a path prefix, or a base ending in /ws', () => {
    assert.equal(roomSocketUrl({ wsUrl: 'wss://live.example.org', wsPort: 1 }, 'k', { since: '4' }, page), 'wss://live.example.org/ws/k?since=4');
    assert.equal(roomSocketUrl({ wsUrl: 'wss://example.org/beamcast/', wsPort: 1 }, 'k', {}, page), 'wss://example.org/beamcast/ws/k');
    assert.equal(roomSocketUrl({ wsUrl: 'wss://example.org/ws', wsPort: 1 }, 'k', {}, page), 'wss://example.org/ws/k');
  });
  it('accepts a same-host path or an https URL', () => {
    assert.equal(roomSocketUrl({ wsUrl: '/live', wsPort: 1 }, 'k', {}, page), 'wss://cam.example.org/live/ws/k');
    assert.equal(roomSocketUrl({ wsUrl: 'https://example.org', wsPort: 1 }, 'k', {}, page), 'wss://example.org/ws/k');
  });
  it('leaves out empty query values', () => {
    assert.equal(roomSocketUrl({ wsUrl: 'ws://h:1', wsPort: 1 }, 'k', { role: 'viewer', name: '' }, page), 'ws://h:1/ws/k?role=viewer');
  });
});

describe('ChatSync', () => {
  it('asks for nothing on first join and remembers the last id for a reconnect', () => {
    const s = new ChatSync();
    assert.equal(s.since, null);
    s.connecting();
    const r = s.onHistory(history('e1', [1, 2, 3]));
    assert.deepEqual(r.show.map((m) => m.id), [1, 2, 3]);
    assert.equal(s.onChat(chat(4)).show.length, 1);
    assert.equal(s.since, 4);
  });
  it('drops duplicates and requests history once when ids jump', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1]));
    assert.equal(s.onChat(chat(1)).show.length, 0, 'duplicate');
    const gap = s.onChat(chat(4));
    assert.equal(gap.request, 1);
    assert.deepEqual(gap.show.map((m) => m.id), [4]);
    assert.equal(s.onChat(chat(5)).request, null, 'one request at a time');
    const filled = s.onHistory(history('e1', [2, 3, 4, 5]));
    assert.deepEqual(filled.show.map((m) => m.id), [2, 3, 4, 5]);
    assert.equal(s.since, 5);
  });
  it('after a reconnect keeps the log when the epoch is the same', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1, 2]));
    s.connecting();
    const r = s.onHistory(history('e1', [3]));
    assert.equal(r.reset, false);
    assert.deepEqual(r.show.map((m) => m.id), [3]);
  });
  it('starts afresh when the chat log was restarted (new epoch)', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1, 2, 3]));
    s.connecting(); // since=3 of a log that no longer exists
    const r = s.onHistory(history('e2', [], 80));
    assert.equal(r.reset, true);
    assert.equal(r.request, 30, 'fetches the tail of the new log');
    const tail = s.onHistory(history('e2', [31, 32]));
    assert.deepEqual(tail.show.map((m) => m.id), [31, 32]);
    assert.equal(s.epochId, 'e2');
  });
});

describe('ChatSync with paged history', () => {
  const page = (epoch: string, ids: number[], latestId: number, nextSince?: number): HistoryMessage => ({
    ...history(epoch, ids, latestId),
    more: nextSince !== undefined,
    ...(nextSince !== undefined ? { nextSince } : {}),
  });

  it('follows more: asks for the page after nextSince until the last one', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1, 2]));
    s.connecting(); // reconnect with since=2
    const first = s.onHistory(page('e1', [3, 4], 9, 4));
    assert.deepEqual(first.show.map((m) => m.id), [3, 4]);
    assert.equal(first.request, 4);
    assert.equal(s.pending, 4);
    const second = s.onHistory(page('e1', [5, 6, 7], 9, 7));
    assert.equal(second.request, 7);
    const last = s.onHistory(page('e1', [8, 9], 9));
    assert.deepEqual(last.show.map((m) => m.id), [8, 9]);
    assert.equal(last.request, null);
    assert.equal(s.pending, null);
    assert.equal(s.since, 9);
  });

  it('follows more after a gap request too, and a live message during paging waits its turn', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1]));
    assert.equal(s.onChat(chat(10)).request, 1);
    assert.equal(s.onHistory(page('e1', [2, 3, 4], 10, 4)).request, 4);
    assert.equal(s.onChat(chat(11)).request, null, 'a page is already on its way');
    const r = s.onHistory(page('e1', [5, 6, 7, 8, 9, 10, 11], 11));
    assert.equal(r.request, null);
    assert.equal(s.since, 11);
  });

  it('does not follow a page that would not move forward, or a server that does not page', () => {
    const s = new ChatSync();
    s.connecting();
    s.onHistory(history('e1', [1, 2, 3]));
    s.connecting();
    assert.equal(s.onHistory(page('e1', [], 3, 3)).request, null, 'nextSince equal to what was asked');
    const old = new ChatSync();
    old.connecting();
    const { more: _more, ...legacy } = history('e1', [1, 2]);
    assert.equal(old.onHistory(legacy as HistoryMessage).request, null);
  });
});

describe('RequestPacer', () => {
  it("waits for the server's request budget: the burst at once, then the refill rate", () => {
    const p = new RequestPacer(4, 40, 0);
    for (let i = 0; i < 9; i++) {
      assert.equal(p.waitMs(4, 0), 0);
      p.spend(4, 0);
    }
    // Four tokens are left, but the pacer keeps half a token spare for jitter between the clocks.
    const wait = p.waitMs(4, 0);
    assert.ok(wait > 0 && wait <= 200, `the tenth page waits a moment (${wait} ms)`);
    p.spend(4, wait);
    const next = p.waitMs(4, wait);
    assert.ok(next >= 1000 && next <= 1200, `then about a second per page (${next} ms)`);
    assert.equal(p.waitMs(4, wait + next), 0);
  });
});

describe('ClockOffset', () => {
  it('trusts the sample with the shortest round trip', () => {
    const c = new ClockOffset();
    c.add(1000, 5600, 1200); // rtt 200: offset 4500 ± 100
    c.add(2000, 6510, 2020); // rtt 20: offset 4500 ± 10
    assert.equal(c.offsetMs, 4500);
    assert.equal(c.rttMs, 20);
    assert.equal(c.serverNow(0), 4500);
  });
});

describe('AutoQuality', () => {
  it('steps down when many frames are skipped and back up after a calm spell', () => {
    const q = new AutoQuality({ qualities: ['source', 'medium', 'low'], windowMs: 1000, upAfterMs: 3000 }, 'source');
    let t = 0;
    let switched: string | null = null;
    for (let seq = 0; seq < 100 && !switched; seq += 2) switched = q.onFrame(seq, (t += 100));
    assert.equal(switched, 'medium');
    assert.equal(q.quality, 'medium');
    q.reset(); // the page does this when the server confirms the switch
    switched = null;
    for (let seq = 1000; seq < 1100 && !switched; seq++) switched = q.onFrame(seq, (t += 100));
    assert.equal(switched, 'source');
  });
});
