import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const MISSED = 120;
// Control characters travel as six bytes each: 300 of them make every message ~1.9 KB of JSON,
// so the missed chat takes about fifteen 16 KB history pages, more than the request budget's burst.
const FILLER = '\u0001'.repeat(300);

describe('the viewer page recovers a long missed chat page by page', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer({ historyMaxBytes: String(16 * 1024), chatRate: '1000', chatBurst: '1000' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('follows `more` after a reconnect, paced by the request budget, and shows every message once, in order', async () => {
    // A room that has been live keeps CHAT_HISTORY messages (a waiting room keeps 50).
    const cam = await server.broadcaster('paged');
    const poster = await TestClient.connect(server.wsUrl('paged', { name: 'poster' }));
    await poster.nextText('history');
    for (let i = 0; i < 3; i++) poster.send({ type: 'chat', text: `before ${i}` });
    await poster.sync();

    const { page, problems } = await openPage(browser);
    const refusals: string[] = [];
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    cdp.on('Network.webSocketFrameReceived', (e) => {
      if (e.response.payloadData.includes('"type":"error"')) refusals.push(e.response.payloadData);
    });
    await page.goto(server.httpUrl('/viewer/paged'), { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-text').length === 3, { timeout: 10_000 });
    // Away while the chat grows: drop the socket, block new ones, post, come back.
    await page.evaluate(() => (window as unknown as { beamcast: { socket: { ws: WebSocket } } }).beamcast.socket.ws.close(4000, 'test'));
    await page.waitForFunction(() => document.body.dataset.state === 'reconnecting', { timeout: 5000 });
    await page.setOfflineMode(true);
    for (let i = 0; i < MISSED; i++) poster.send({ type: 'chat', text: `missed ${i} ${FILLER}` });
    await poster.sync();
    await page.setOfflineMode(false);

    await page.waitForFunction((n) => document.querySelectorAll('#chat-log .chat-text').length === n, { timeout: 30_000, polling: 100 }, 3 + MISSED);
    const texts = await page.$$eval('#chat-log .chat-text', (els) => els.map((e) => (e.textContent ?? '').split(' ').slice(0, 2).join(' ')));
    assert.deepEqual(texts, [...[0, 1, 2].map((i) => `before ${i}`), ...Array.from({ length: MISSED }, (_, i) => `missed ${i}`)]);
    assert.deepEqual(refusals, [], 'the page kept within the request budget: no request was refused');
    await cdp.detach();
    // While offline the browser logged its refused attempts: expected. Nothing else went wrong.
    assert.deepEqual(
      problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|WebSocket connection/.test(p)),
      [],
    );
    await page.close();
    await poster.close();
    await cam.close();
  });
});
