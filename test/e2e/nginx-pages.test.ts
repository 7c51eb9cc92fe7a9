import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'vitest';
import puppeteer from 'puppeteer';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding } from '../helpers/binaries.js';
import { nginxSiteFor, repoFile } from '../helpers/deploy-files.js';
import { freePort, waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { nginxSkip, startNginx } from '../helpers/nginx-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';

function skipReason(): false | string {
  if (!existsSync(repoFile('dist/web/viewer.html'))) return 'the viewer page is not built (dist/web/viewer.html): nothing to load through nginx';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`;
  return nginxSkip();
}

describeNeeding(skipReason(), 'the viewer page through nginx', () => {
  it('loads from the nginx origin, opens its WebSocket there, and gets frames and chat', async () => {
    const beamcast = await startBeamcastProcess({ TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '' });
    const port = await freePort();
    const nginx = await startNginx(nginxSiteFor(beamcast.httpPort, beamcast.wsPort, port), port).catch(async (err: unknown) => {
      await beamcast.stop();
      throw err;
    });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    const room = 'nginx-page';
    let cam: TestClient | null = null;
    let sending: NodeJS.Timeout | undefined;
    try {
      const page = await browser.newPage({ type: 'window' });
      const cdp = await page.createCDPSession();
      await cdp.send('Network.enable');
      const sockets: string[] = [];
      let binary = 0;
      const texts: string[] = [];
      cdp.on('Network.webSocketCreated', (e) => sockets.push(e.url));
      cdp.on('Network.webSocketFrameReceived', (e) => {
        if (e.response.opcode === 2) binary++;
        else texts.push(e.response.payloadData);
      });

      cam = await TestClient.connect(`ws://127.0.0.1:${port}/ws/${room}?role=broadcaster&key=${streamKey(TEST_SECRET, room)}`);
      await cam.nextText('welcome');
      let seq = 0;
      sending = setInterval(() => cam!.send(fakeFrame(++seq, 3000)), 100);

      const res = await page.goto(`${nginx.url}/viewer/${room}`, { waitUntil: 'domcontentloaded' });
      assert.equal(res?.status(), 200);
      await waitFor(() => (binary >= 3 ? true : undefined), 15_000, 'the page to receive frames through nginx');
      assert.ok(sockets.length > 0 && sockets.every((u) => u.startsWith(`ws://127.0.0.1:${port}/ws/${room}`)), `page sockets: ${sockets.join(', ')}`);
      cam.send({ type: 'chat', text: 'through nginx to the page' });
      await waitFor(() => (texts.some((t) => t.includes('through nginx to the page')) ? true : undefined), 5000, 'the chat message on the page socket');
    } finally {
      clearInterval(sending);
      await cam?.close();
      await browser.close();
      await nginx.stop();
      await beamcast.stop();
    }
  });
});
