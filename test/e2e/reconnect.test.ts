import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser, CDPSession } from 'puppeteer';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { waitState } from '../helpers/pages.js';
import { restartTestServer, startRestartableTestServer, type TestServer } from '../helpers/test-server.js';

const frames = (w: WatchedPage) => w.page.evaluate(() => Number(document.getElementById('video')!.dataset.frames ?? 0));

describe('pages after a server restart', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startRestartableTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('are live again within about a second of the new server listening, however long it was down', async () => {
    const room = 'restart';
    const viewer = await openPage(browser);
    await viewer.page.goto(server.httpUrl(`/viewer/${room}`));
    const cam = await openPage(browser);
    await cam.page.goto(server.httpUrl(`/camera?room=${room}&key=${server.key(room)}&autostart=1`));
    const cdps: CDPSession[] = [];
    try {
      await waitState(cam.page, 'live');
      await waitState(viewer.page, 'live');
      await viewer.page.waitForFunction(() => Number(document.getElementById('video')!.dataset.frames ?? 0) >= 3, { timeout: 10_000 });
      await cam.page.waitForFunction(() => document.getElementById('st-viewers')!.textContent === '1', { timeout: 5000 });
      // Connection attempts each page makes while the server is away.
      const attempts = [0, 0];
      for (const [i, w] of [cam, viewer].entries()) {
        const cdp = await w.page.createCDPSession();
        await cdp.send('Network.enable');
        cdp.on('Network.webSocketCreated', () => attempts[i]!++);
        cdps.push(cdp);
      }
      server = await restartTestServer(server, {}, {}, async () => {
        await Promise.all([cam, viewer].map((w) => waitState(w.page, 'reconnecting')));
        // The viewer count is only the last one known now.
        await cam.page.waitForFunction(() => document.getElementById('st-viewers')!.classList.contains('stale'), { timeout: 2000 });
        // A real restart takes a while: stay down until each page has tried four times, so the
        // backoff has grown to its cap as it would have.
        const t0 = Date.now();
        while (Math.min(...attempts) < 4 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 50));
        assert.ok(Math.min(...attempts) >= 4, `each page kept trying while the server was away: ${attempts}`);
      });
      const listeningAt = Date.now();
      const before = await frames(viewer);
      await Promise.all([cam, viewer].map((w) => waitState(w.page, 'live', 10_000)));
      const liveAfter = Date.now() - listeningAt;
      assert.ok(liveAfter <= 1500, `both pages live ${liveAfter} ms after the server was back`);
      await viewer.page.waitForFunction((n) => Number(document.getElementById('video')!.dataset.frames ?? 0) > n, { timeout: 5000 }, before);
      await cam.page.waitForFunction(() => !document.getElementById('st-viewers')!.classList.contains('stale'), { timeout: 2000 });
      // While the server was down the browser logged every refused connection attempt (sockets,
      // and the camera page's key check): expected.
      for (const w of [cam, viewer]) assert.deepEqual(w.problems.filter((p) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(p)), []);
    } finally {
      for (const cdp of cdps) await cdp.detach().catch(() => {});
      await Promise.all([cam.page.close(), viewer.page.close()]);
    }
  });
});
