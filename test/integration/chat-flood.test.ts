import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { captureLog, startTestServer, type CapturedLog, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

/** Waits until the client has been told of `n` refusals of `code` (each error plus its `dropped`). */
async function toldOf(c: TestClient, code: string, n: number): Promise<number> {
  let told = 0;
  while (told < n) {
    const e = await c.nextText('error', 3000);
    if (e.code === code) told += 1 + (e.dropped ?? 0);
  }
  return told;
}

describe('chat floods end, and every refused message is reported', () => {
  // CHAT_RATE 2, CHAT_BURST 5 (defaults).
  let server: TestServer;
  let log: CapturedLog;
  beforeAll(async () => {
    log = captureLog();
    server = await startTestServer({}, {}, log.logger);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('closes a connection that keeps chatting far above the rate with 4500', async () => {
    const watcher = await TestClient.connect(server.wsUrl('flood'));
    const flooder = await TestClient.connect(server.wsUrl('flood'));
    await Promise.all([watcher.nextText('history'), flooder.nextText('history')]);
    for (let i = 0; i < 200; i++) flooder.send({ type: 'chat', text: `spam ${i}` });
    assert.equal(await flooder.waitClose(), 4500);
    await watcher.sync();
    const posted = watcher.texts('chat').length;
    assert.ok(posted <= 6, `only the burst reached the room (${posted})`);
    await watcher.close();
  });

  it('keeps a fast typist who hits the limit once', async () => {
    const typist = await TestClient.connect(server.wsUrl('flood'));
    await typist.nextText('history');
    for (let i = 0; i < 6; i++) typist.send({ type: 'chat', text: `quick ${i}` });
    assert.equal((await typist.nextText('error')).code, 'CHAT_RATE_LIMITED');
    await typist.sync();
    assert.equal(typist.closeCode, null);
    assert.equal(typist.texts('chat').length, 5);
    await typist.close();
  });

  it('reports the refused count after a short flood stops, in a trailing error', async () => {
    const c = await TestClient.connect(server.wsUrl('flood'));
    await c.nextText('history');
    // The burst of 5 is posted; 15 are refused (10 forgiven, 5 strikes: the connection stays).
    for (let i = 0; i < 20; i++) c.send({ type: 'chat', text: `burst ${i}` });
    const first = await c.nextText('error');
    assert.equal(first.code, 'CHAT_RATE_LIMITED');
    assert.equal(first.dropped, undefined, 'the first refusal is reported at once');
    // Nothing else is sent: the other 14 arrive in one error about a second later.
    assert.equal(await toldOf(c, 'CHAT_RATE_LIMITED', 14), 14);
    const errors = c.texts('error');
    assert.equal(errors.length, 2);
    assert.equal(errors[1]!.dropped, 13, 'the trailing error stands for one refusal plus 13 held back');
    await c.sync();
    assert.equal(c.closeCode, null);
    await c.close();
  });

  it('logs refusals at info with their code, never the text', async () => {
    const c = await TestClient.connect(server.wsUrl('flood'));
    await c.nextText('history');
    for (let i = 0; i < 8; i++) c.send({ type: 'chat', text: `secret-payload-${i}` });
    await toldOf(c, 'CHAT_RATE_LIMITED', 3);
    await c.close();
    const refused = log.lines.filter((l) => l.msg === 'refused' && l.code === 'CHAT_RATE_LIMITED');
    assert.ok(refused.length >= 1);
    assert.ok(refused.every((l) => l.level === 30));
    assert.ok(!JSON.stringify(log.lines).includes('secret-payload'), 'no chat text in any log line');
  });
});
