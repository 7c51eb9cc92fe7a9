import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'vitest';
import type { Page } from 'puppeteer';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding } from '../helpers/binaries.js';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { nginxClusterSiteFor, repoFile } from '../helpers/deploy-files.js';
import { freePort, waitFor } from '../helpers/free-port.js';
import { nginxSkip, startNginx, type NginxServer } from '../helpers/nginx-server.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';

const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';

function skipReason(): false | string {
  if (!existsSync(repoFile('dist/web/viewer.html'))) return 'the pages are not built (dist/web/viewer.html): nothing to load through nginx';
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`;
  return nginxSkip() || redisSkip();
}

const waitState = (p: Page, s: string, timeout = 15_000) =>
  p.waitForFunction((want) => document.body.dataset.state === want, { timeout, polling: 50 }, s);
const frames = (p: Page) => p.evaluate(() => Number(document.getElementById('video')!.dataset.frames ?? 0));
const waitFrames = (p: Page, atLeast: number, timeout = 15_000) =>
  p.waitForFunction((n) => Number(document.getElementById('video')!.dataset.frames ?? 0) >= n, { timeout, polling: 50 }, atLeast);
const chatTexts = (p: Page) => p.$$eval('#chat-log .chat-text', (els) => els.map((e) => e.textContent));
const waitChat = (p: Page, text: string) =>
  p.waitForFunction((t) => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === t), { timeout: 10_000, polling: 50 }, text);

/** Brightness range of the viewer's canvas (0: one flat colour) and a fingerprint of its pixels. */
const picture = (p: Page) =>
  p.evaluate(() => {
    const c = document.getElementById('video') as HTMLCanvasElement;
    if (c.width === 0) return { range: 0, sig: 0 };
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let min = 255;
    let max = 0;
    let sig = 0;
    for (let i = 0; i < d.length; i += 4 * 97) {
      const y = (d[i]! * 3 + d[i + 1]! * 6 + d[i + 2]!) / 10;
      if (y < min) min = y;
      if (y > max) max = y;
      sig = (sig * 31 + d[i]! + d[i + 1]! * 7 + d[i + 2]! * 13) >>> 0;
    }
    return { range: max - min, sig };
  });

async function sendChat(p: Page, text: string): Promise<void> {
  await p.click('#chat-input');
  await p.keyboard.type(text);
  await p.keyboard.press('Enter');
}

/** The nodes whose log shows a WebSocket of `role` joining `room`. */
const nodesWith = (nodes: BeamcastProcess[], room: string, role: string) =>
  nodes.filter((n) => n.logLines().some((l) => l.msg === 'connection open' && l.room === room && l.role === role));

describeNeeding(skipReason(), 'two nodes sharing Redis behind the shipped nginx config', () => {
  it('shows the camera of one node on a viewer page served by the other, with chat both ways', { timeout: 120_000 }, async () => {
    const open: { stop(): Promise<void> }[] = [];
    let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
    try {
      const redis = await RedisServer.start();
      open.push(redis);
      // As docker-compose.yml runs them: behind the proxy, on one Redis, pages on the proxy's origin.
      const env = { TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '', REDIS_URL: redis.url };
      const nodes: BeamcastProcess[] = [];
      for (const id of ['node-a', 'node-b']) {
        const node = await startBeamcastProcess({ ...env, NODE_ID: id });
        open.unshift(node);
        nodes.push(node);
      }
      const port = await freePort();
      const nginx: NginxServer = await startNginx(nginxClusterSiteFor(nodes, port), port);
      open.unshift(nginx);
      browser = await launchBrowser();

      const room = 'across';
      const readyz = await fetch(`${nginx.url}/readyz`);
      assert.deepEqual(await readyz.json(), { status: 'ready', bus: 'up' });

      const cam: WatchedPage = await openPage(browser);
      await cam.page.goto(`${nginx.url}/camera?room=${room}&key=${streamKey(TEST_SECRET, room)}&autostart=1`, { waitUntil: 'domcontentloaded' });
      await waitState(cam.page, 'live');
      const camNodes = await waitFor(() => {
        const on = nodesWith(nodes, room, 'broadcaster');
        return on.length > 0 ? on : undefined;
      }, 5000, 'the broadcaster on a node');
      assert.equal(camNodes.length, 1);
      const [camNode] = camNodes as [BeamcastProcess];
      const otherNode = nodes.find((n) => n !== camNode)!;

      // nginx sends a new WebSocket to the node with the fewest open (least_conn): the camera's
      // holds one on its node, so the viewer's goes to the other. Each node's log says which.
      const viewer: WatchedPage = await openPage(browser);
      await viewer.page.goto(`${nginx.url}/viewer/${room}`, { waitUntil: 'domcontentloaded' });
      await waitState(viewer.page, 'live');
      await waitFor(() => (nodesWith(nodes, room, 'viewer').length > 0 ? true : undefined), 5000, 'the viewer on a node');
      assert.deepEqual(nodesWith(nodes, room, 'viewer'), [otherNode], 'the viewer is on the node the camera is not on');

      // Frames cross Redis: the picture is there, not blank, and moving.
      await waitFrames(viewer.page, 3);
      const first = await picture(viewer.page);
      await waitFrames(viewer.page, (await frames(viewer.page)) + 5);
      const later = await picture(viewer.page);
      assert.ok(first.range > 20, `the picture is not blank (brightness range ${first.range})`);
      assert.notEqual(first.sig, later.sig, 'the picture changes over time');
      await cam.page.waitForFunction(() => document.getElementById('st-viewers')!.textContent === '1', { timeout: 10_000 });

      // Chat both ways, each message stored once in Redis and shown on both nodes' pages.
      await sendChat(viewer.page, 'hello from the other node');
      await waitChat(cam.page, 'hello from the other node');
      await sendChat(cam.page, 'hello back');
      await waitChat(viewer.page, 'hello back');
      for (const p of [cam.page, viewer.page]) assert.deepEqual(await chatTexts(p), ['hello from the other node', 'hello back']);
      assert.deepEqual(cam.problems, []);
      assert.deepEqual(viewer.problems, []);
    } finally {
      await browser?.close();
      for (const o of open) await o.stop();
    }
  });
});
