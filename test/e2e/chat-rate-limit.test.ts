import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { textOf, waitState } from '../helpers/pages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('chat under the rate limit', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    // One message at once, then one every 2 s.
    server = await startTestServer({ chatRate: '0.5', chatBurst: '1' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('keeps a refused message in the box, says when it can go, and sends it then', async () => {
    const watcher = await TestClient.connect(server.wsUrl('busy'));
    await watcher.nextText('history');
    const w = await openPage(browser);
    try {
      await w.page.goto(server.httpUrl('/viewer/busy'));
      await waitState(w.page, 'offline');
      const input = () => w.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value);
      await w.page.type('#chat-input', 'first');
      await w.page.keyboard.press('Enter');
      await w.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'first'), { timeout: 5000 });
      assert.equal(await input(), '', 'an accepted message leaves the box');

      await w.page.type('#chat-input', 'second, too soon');
      await w.page.keyboard.press('Enter');
      await w.page.waitForFunction(() => /send it again in \d+ s/.test(document.getElementById('chat-error')!.textContent ?? ''), { timeout: 5000 });
      assert.equal(await input(), 'second, too soon', 'the refused text is still there');
      assert.match(await textOf(w.page, '#chat-error'), /send it again in [12] s/, 'the wait follows from CHAT_RATE');
      // Enter again during the wait sends nothing: the server would only refuse it.
      await w.page.keyboard.press('Enter');
      assert.equal(await input(), 'second, too soon');

      await w.page.waitForFunction(() => /send again now/.test(document.getElementById('chat-error')!.textContent ?? ''), { timeout: 5000 });
      await w.page.keyboard.press('Enter');
      await w.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'second, too soon'), { timeout: 5000 });
      assert.equal(await input(), '');
      // Everyone else saw each message once: nothing was lost, nothing doubled.
      await watcher.sync();
      assert.deepEqual(
        watcher.items.flatMap((i) => (i.kind === 'text' && i.msg.type === 'chat' ? [i.msg.text] : [])),
        ['first', 'second, too soon'],
      );
      assert.deepEqual(w.problems, []);
    } finally {
      await watcher.close();
      await w.page.close();
    }
  });

  it('keeps what was typed after sending when the echo comes back', async () => {
    const w = await openPage(browser);
    try {
      await w.page.goto(server.httpUrl('/viewer/typing'));
      await waitState(w.page, 'offline');
      // Hold the echo back: the page must not empty the box before the server has the message.
      await w.page.evaluate(() => {
        const b = (window as unknown as { beamcast: { socket: { ws: WebSocket } } }).beamcast.socket;
        const ws = b.ws;
        const deliver = ws.onmessage!.bind(ws);
        const held: MessageEvent[] = [];
        ws.onmessage = (ev) => void (typeof ev.data === 'string' && ev.data.includes('"type":"chat"') ? held.push(ev) : deliver(ev));
        (window as unknown as { release(): void }).release = () => held.splice(0).forEach((ev) => deliver(ev));
      });
      await w.page.type('#chat-input', 'hello');
      await w.page.keyboard.press('Enter');
      await w.page.waitForFunction(() => document.getElementById('chat-input')!.dataset.pending !== undefined);
      assert.equal(await w.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value), 'hello', 'still in the box until the server has it');
      await w.page.type('#chat-input', ' again');
      await w.page.evaluate(() => (window as unknown as { release(): void }).release());
      await w.page.waitForFunction(() => document.getElementById('chat-input')!.dataset.pending === undefined);
      assert.equal(await w.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value), 'hello again', 'text typed since is kept');
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
    }
  });
});
