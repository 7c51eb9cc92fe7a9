// Screenshots of the three pages for the README (desktop 1280×800 and a 390 px wide phone),
// taken from a real server with the fake camera streaming.
//   npm run screenshots     (writes docs/screenshots/*.png)
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser, openPage } from '../test/helpers/browser.js';
import { startTestServer, type TestServer } from '../test/helpers/test-server.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function page(browser: Browser, server: TestServer, path: string, name: string, size = DESKTOP): Promise<Page> {
  const w = await openPage(browser, size);
  await w.page.goto(server.httpUrl('/static/icon.svg'));
  await w.page.evaluate((n) => localStorage.setItem('beamcast.name', n), name);
  await w.page.goto(server.httpUrl(path));
  return w.page;
}

async function say(p: Page, text: string): Promise<void> {
  await p.type('#chat-input', text);
  await p.keyboard.press('Enter');
  await sleep(250);
}

async function shot(p: Page, file: string, size = DESKTOP): Promise<void> {
  await p.setViewport(size);
  await p.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await sleep(600);
  await p.screenshot({ path: join(out, file) });
  console.log(`wrote docs/screenshots/${file}`);
}

const server = await startTestServer();
const browser = await launchBrowser();
try {
  const emptyHome = await page(browser, server, '/', 'guest');
  await emptyHome.waitForSelector('#empty:not([hidden])');
  await shot(emptyHome, 'home-empty-desktop.png');
  await emptyHome.close();

  const cam = await page(browser, server, `/camera?room=backyard&key=${server.key('backyard')}&autostart=1`, 'Sam');
  await cam.waitForFunction(() => document.body.dataset.state === 'live');
  const other = await page(browser, server, `/camera?room=kitchen&key=${server.key('kitchen')}&autostart=1`, 'kitchen');
  await other.waitForFunction(() => document.body.dataset.state === 'live');
  const v1 = await page(browser, server, '/viewer/backyard', 'maria');
  const v2 = await page(browser, server, '/viewer/backyard', 'tom');
  await v1.waitForFunction(() => Number(document.getElementById('video')!.dataset.frames ?? 0) > 5);
  await say(v1, 'Morning! Is the robin back?');
  await say(cam, 'Yes, twice already today. Watch the left corner.');
  await say(v2, 'I can see it, top left!');
  await say(v1, 'Picture is really smooth.');
  await sleep(2500);

  // The controls over the picture show while the mouse moves over it (on a phone, after a tap).
  await v1.hover('#stage');
  await shot(v1, 'viewer-desktop.png');
  await shot(v1, 'viewer-phone.png', PHONE);
  await shot(cam, 'camera-desktop.png');
  await shot(cam, 'camera-phone.png', PHONE);
  const home = await page(browser, server, '/', 'guest');
  await home.waitForSelector('.room-card');
  await sleep(1200);
  await shot(home, 'home-desktop.png');
  await shot(home, 'home-phone.png', PHONE);
} finally {
  await browser.close();
  await server.stop();
}
