import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const LIMIT = 64 * 1024;

describe('what a browser sees when it sends a message over the transport limit', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer({ maxFrameBytes: String(16 * 1024), maxTextBytes: '1024', wsMaxMessageBytes: String(LIMIT) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens a WebSocket in the page, sends `bytes` zero bytes as one binary message, returns the CloseEvent. */
  async function closeAfterSending(bytes: number): Promise<{ code: number; reason: string; wasClean: boolean }> {
    const page = await browser.newPage({ type: 'window' });
    try {
      await page.goto(server.httpUrl('/healthz'));
      return await page.evaluate(
        (url, size) =>
          new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => ws.send(new Uint8Array(size));
            ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
          }),
        server.wsUrl('oversize'),
        bytes,
      );
    } finally {
      await page.close();
    }
  }

  it('gets a clean 1009 close with a reason for a message up to twice the limit', async () => {
    const e = await closeAfterSending(LIMIT + 1000);
    assert.deepEqual(e, { code: 1009, reason: 'message larger than the limit', wasClean: true });
  });

  it('gets only 1006, without a reason, for a message beyond twice the limit (uWebSockets.js drops it unread)', async () => {
    const e = await closeAfterSending(4 * LIMIT);
    assert.equal(e.code, 1006);
    assert.equal(e.reason, '');
    assert.equal(e.wasClean, false);
  });
});
