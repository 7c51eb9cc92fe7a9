import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { HistoryMessage } from '../../src/protocol/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const MAX = 16 * 1024;
const MESSAGES = 300;
// Control characters serialise to six bytes each: 400 of them are 2.4 KB of JSON per message.
const NASTY = '\u0001'.repeat(400);

describe('history replies are bounded in bytes and paged', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ chatRate: '1000', chatBurst: '1000', historyMaxBytes: String(MAX), requestBurst: '1000' });
    const cam = await server.broadcaster('pages');
    for (let i = 0; i < MESSAGES; i++) cam.send({ type: 'chat', text: `${i}${NASTY}` });
    await cam.sync();
    await cam.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Every history message this client got, with its serialised size as it travelled. */
  function received(c: TestClient): { h: HistoryMessage; bytes: number }[] {
    return c.texts('history').map((h) => ({ h, bytes: Buffer.byteLength(JSON.stringify(h)) }));
  }

  it('answers since=0 with pages under the limit, and following nextSince loads every message once, in order', async () => {
    const c = await TestClient.connect(server.wsUrl('pages'));
    await c.nextText('history');
    let since = 0;
    const ids: number[] = [];
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 200, 'paging ends');
      c.send({ type: 'history', since });
      const h = await c.nextText('history');
      assert.ok(Buffer.byteLength(JSON.stringify(h)) <= MAX, 'page within HISTORY_MAX_BYTES');
      ids.push(...h.messages.map((m) => m.id));
      if (!h.more) break;
      assert.equal(h.nextSince, h.messages.at(-1)!.id);
      since = h.nextSince!;
    }
    assert.deepEqual(ids, Array.from({ length: MESSAGES }, (_, i) => i + 1));
    assert.ok(c.texts('history').length > 10, 'the log took many pages');
    await c.close();
  });

  it('bounds the history sent on joining, newest messages first to go in', async () => {
    const c = await TestClient.connect(server.wsUrl('pages'));
    const h = await c.nextText('history');
    const bytes = received(c)[0]!.bytes;
    assert.ok(bytes <= MAX, `join history is ${bytes} bytes`);
    assert.equal(h.more, false);
    assert.equal(h.messages.at(-1)!.id, MESSAGES, 'it ends at the newest message');
    assert.ok(h.messages.length < 50, 'fewer than the usual 50 fit');
    await c.close();
  });

  it('bounds the history sent on reconnecting with since=, and says there is more', async () => {
    const c = await TestClient.connect(server.wsUrl('pages', { since: 10 }));
    const h = await c.nextText('history');
    assert.ok(Buffer.byteLength(JSON.stringify(h)) <= MAX);
    assert.equal(h.messages[0]!.id, 11);
    assert.equal(h.more, true);
    assert.equal(h.nextSince, h.messages.at(-1)!.id);
    await c.close();
  });

  it('says there is no more when the reply fits', async () => {
    const c = await TestClient.connect(server.wsUrl('pages', { since: MESSAGES - 2 }));
    const h = await c.nextText('history');
    assert.deepEqual(
      h.messages.map((m) => m.id),
      [MESSAGES - 1, MESSAGES],
    );
    assert.equal(h.more, false);
    assert.equal(h.nextSince, undefined);
    await c.close();
  });
});
