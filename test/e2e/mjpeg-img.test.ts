import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import puppeteer, { type Browser } from 'puppeteer';
import { encodeFrame } from '../../src/protocol/index.js';
import { realJpeg } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('MJPEG in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer();
    browser = await puppeteer.launch({
      executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('an <img> shows stream.mjpg and keeps updating', async () => {
    const cam = await TestClient.connect(server.wsUrl('img', { role: 'broadcaster', key: server.key('img') }));
    await cam.nextText('welcome');
    const pics = await Promise.all([0, 1, 2, 3].map((v) => realJpeg(640, 480, v * 3)));
    let seq = 0;
    cam.send(encodeFrame(pics[0]!, seq++, Date.now()));
    const pump = setInterval(() => cam.send(encodeFrame(pics[seq % 4]!, seq++, Date.now())), 100);
    const page = await browser.newPage({ type: 'window' });
    try {
      await page.goto(server.httpUrl('/healthz'));
      await page.setContent(`<img id="v" src="${server.httpUrl('/api/rooms/img/stream.mjpg?quality=sd')}">`);
      await page.waitForFunction(() => (document.getElementById('v') as HTMLImageElement).naturalWidth === 640, { timeout: 5000 });
      // The picture changes: sample the top row's colour until the moving square shows up in it.
      const sample = () =>
        page.evaluate(() => {
          const img = document.getElementById('v') as HTMLImageElement;
          const c = document.createElement('canvas');
          c.width = img.naturalWidth;
          c.height = img.naturalHeight;
          const g = c.getContext('2d')!;
          g.drawImage(img, 0, 0);
          return Array.from(g.getImageData(0, 20, c.width, 1).data.filter((_, i) => i % 40 === 0)).join(',');
        });
      const first = await sample();
      const deadline = Date.now() + 5000;
      let changed = false;
      while (!changed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        changed = (await sample()) !== first;
      }
      assert.ok(changed, 'the <img> shows new frames');
    } finally {
      clearInterval(pump);
      await page.close();
      await cam.close();
    }
  });
});
