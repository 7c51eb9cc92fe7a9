import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'vitest';
import type { Page } from 'puppeteer';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding } from '../helpers/binaries.js';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { nginxSiteFor, repoFile } from '../helpers/deploy-files.js';
import { freePort } from '../helpers/free-port.js';
import { nginxSkip, startNginx } from '../helpers/nginx-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';

const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';
// A name on the local network, as a phone would use: not localhost, so only HTTPS makes the page
// a secure context. Chromium resolves it to this machine.
const HOST = 'beamcast.test';

function skipReason(): false | string {
  if (!existsSync(repoFile('dist/web/camera.html'))) return 'the pages are not built (dist/web/camera.html)';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`;
  return nginxSkip();
}

const waitState = (p: Page, s: string, timeout = 15_000) =>
  p.waitForFunction((want) => document.body.dataset.state === want, { timeout, polling: 50 }, s);
const waitFrames = (p: Page, atLeast: number) =>
  p.waitForFunction((n) => Number(document.getElementById('video')!.dataset.frames ?? 0) >= n, { timeout: 15_000, polling: 50 }, atLeast);

describeNeeding(skipReason(), 'broadcasting from a phone on the local network: HTTPS at the shipped nginx', () => {
  it('streams from the camera page over https and wss through nginx to a viewer; over plain http the page explains why it cannot', { timeout: 90_000 }, async () => {
    const open: { stop(): Promise<void> }[] = [];
    let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
    try {
      // As docker-compose.yml runs it: behind nginx, pages on the proxy's origin.
      const beamcast: BeamcastProcess = await startBeamcastProcess({ TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '' });
      open.unshift(beamcast);
      const [port, tlsPort] = [await freePort(), await freePort()];
      const nginx = await startNginx(nginxSiteFor(beamcast.httpPort, beamcast.wsPort, port, { tlsPort }), port, { tlsNames: [HOST] });
      open.unshift(nginx);
      browser = await launchBrowser({ args: ['--ignore-certificate-errors', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });

      const room = 'phone';
      const cam = await openPage(browser, { width: 390, height: 844, hosts: [HOST] });
      const sockets: string[] = [];
      const client = await cam.page.createCDPSession();
      await client.send('Network.enable');
      client.on('Network.webSocketCreated', (e: { url: string }) => sockets.push(e.url.split('?')[0]!));
      await cam.page.goto(`https://${HOST}:${tlsPort}/camera?room=${room}&key=${streamKey(TEST_SECRET, room)}&autostart=1`, { waitUntil: 'domcontentloaded' });
      assert.equal(await cam.page.evaluate(() => window.isSecureContext), true, 'an https page is a secure context');
      await waitState(cam.page, 'live');
      assert.ok(sockets.includes(`wss://${HOST}:${tlsPort}/ws/${room}`), `the camera's socket is wss through nginx (${sockets.join(', ')})`);

      const viewer = await openPage(browser, { hosts: [HOST] });
      await viewer.page.goto(`https://${HOST}:${tlsPort}/viewer/${room}`, { waitUntil: 'domcontentloaded' });
      await waitState(viewer.page, 'live');
      await waitFrames(viewer.page, 5);
      await cam.page.waitForFunction(() => document.getElementById('st-viewers')!.textContent === '1', { timeout: 10_000 });
      assert.deepEqual(cam.problems, []);
      assert.deepEqual(viewer.problems, []);

      // The same page over plain http from the network: no camera, and the page says why.
      const insecure = await openPage(browser, { hosts: [HOST] });
      await insecure.page.goto(`http://${HOST}:${port}/camera?room=other&key=${streamKey(TEST_SECRET, 'other')}`, { waitUntil: 'domcontentloaded' });
      assert.equal(await insecure.page.evaluate(() => window.isSecureContext), false);
      await insecure.page.waitForFunction(() => /HTTPS/.test(document.getElementById('messages')!.textContent ?? ''), { timeout: 5000 });
    } finally {
      await browser?.close();
      for (const o of open) await o.stop();
    }
  });
});
