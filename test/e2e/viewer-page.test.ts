import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { streamFrames, textOf, waitState } from '../helpers/pages.js';
import { restartTestServer, startRestartableTestServer, type TestServer } from '../helpers/test-server.js';

type Box = { left: number; top: number; right: number; bottom: number };
const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

const controlsOpacity = (p: Page) => p.$eval('#stage-controls', (e) => Number(getComputedStyle(e).opacity));
const waitControls = (p: Page, shown: boolean, timeout = 5000) =>
  p.waitForFunction((want) => Number(getComputedStyle(document.getElementById('stage-controls')!).opacity) === want, { timeout, polling: 50 }, shown ? 1 : 0);
const waitPainted = (p: Page, n = 1) =>
  p.waitForFunction((atLeast) => Number(document.getElementById('video')!.dataset.frames ?? 0) >= atLeast, { timeout: 10_000, polling: 50 }, n);

/** Boxes of the stage message's lines of text, and of the visible controls and stats overlay. */
async function stageBoxes(p: Page): Promise<{ text: Box[]; controls: Box[]; overlay: Box | null; stage: Box }> {
  return p.evaluate(() => {
    const box = (r: DOMRect) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
    const text: { left: number; top: number; right: number; bottom: number }[] = [];
    for (const child of document.getElementById('stage-message')!.children) {
      const range = document.createRange();
      range.selectNodeContents(child);
      for (const r of range.getClientRects()) text.push(box(r));
    }
    const controls = [...document.getElementById('stage-controls')!.children].filter((e) => !(e as HTMLElement).hidden && !e.classList.contains('sr-only')).map((e) => box(e.getBoundingClientRect()));
    const ov = document.getElementById('overlay')!;
    return { text, controls, overlay: ov.hidden ? null : box(ov.getBoundingClientRect()), stage: box(document.getElementById('stage')!.getBoundingClientRect()) };
  });
}

describe('the viewer page', () => {
  let server: TestServer;
  let browser: Browser;
  const open = async (path: string, opts: Parameters<typeof openPage>[1] = {}) => {
    const w = await openPage(browser, opts);
    await w.page.goto(server.httpUrl(path), { waitUntil: 'domcontentloaded' });
    return w;
  };

  beforeAll(async () => {
    server = await startRestartableTestServer({ qualityTiers: 'sd:160:50' });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('on a phone keeps the controls off the picture until a tap, and shows them to the keyboard', async () => {
    const cam = await server.broadcaster('phone');
    const frames = await streamFrames(cam);
    const w = await open('/viewer/phone', { width: 390, height: 844 });
    try {
      await w.page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
      await waitState(w.page, 'live');
      await waitPainted(w.page);
      await w.page.waitForSelector('#quality:not([hidden])');
      assert.equal(await controlsOpacity(w.page), 0, 'hidden while nobody asked for them');
      assert.equal(await w.page.$eval('#stage-controls', (e) => getComputedStyle(e).pointerEvents), 'none', 'a tap on the hidden controls does not press them');
      const stage = (await stageBoxes(w.page)).stage;
      await w.page.touchscreen.tap((stage.left + stage.right) / 2, (stage.top + stage.bottom) / 2);
      await waitControls(w.page, true);
      // Then out of the way again by themselves.
      await waitControls(w.page, false, 6000);
      // Keyboard users reach them with Tab, and see them while they have focus.
      for (let i = 0; i < 15 && !(await w.page.evaluate(() => !!document.activeElement?.closest('#stage-controls'))); i++) await w.page.keyboard.press('Tab');
      assert.ok(await w.page.evaluate(() => !!document.activeElement?.closest('#stage-controls')), 'Tab reaches the controls');
      await waitControls(w.page, true);
      assert.deepEqual(w.problems, []);
    } finally {
      frames.stop();
      await cam.close();
      await w.page.close();
    }
  });

  it('with a mouse shows the controls while it moves over the picture, and fades them when it rests', async () => {
    const cam = await server.broadcaster('mouse');
    const frames = await streamFrames(cam);
    const w = await open('/viewer/mouse');
    try {
      await waitPainted(w.page);
      assert.equal(await controlsOpacity(w.page), 0);
      const stage = (await stageBoxes(w.page)).stage;
      await w.page.mouse.move(stage.left + 50, stage.top + 50);
      await w.page.mouse.move(stage.left + 80, stage.top + 60, { steps: 3 });
      await waitControls(w.page, true);
      // A click on the picture is not a request to hide them.
      await w.page.mouse.click(stage.left + 80, stage.top + 60);
      assert.equal(await w.page.$eval('#stage', (e) => e.classList.contains('controls-shown')), true);
      await waitControls(w.page, false, 6000);
      assert.deepEqual(w.problems, []);
    } finally {
      frames.stop();
      await cam.close();
      await w.page.close();
    }
  });

  it('never lets the offline text run under the controls or the stats, even with the controls shown', async () => {
    // A wide picture on a narrow phone leaves the least room for the text.
    for (const width of [320, 390]) {
      const cam = await server.broadcaster('overlap');
      const frames = await streamFrames(cam, 10, [320, 180]);
      const w = await open('/viewer/overlap', { width, height: 800 });
      try {
        await waitPainted(w.page);
        frames.stop();
        await cam.close();
        await waitState(w.page, 'offline');
        await w.page.waitForFunction(() => /Offline since/.test(document.getElementById('stage-message')!.textContent ?? ''));
        const stage = (await stageBoxes(w.page)).stage;
        await w.page.mouse.click((stage.left + stage.right) / 2, stage.top + 20);
        await waitControls(w.page, true);
        const b = await stageBoxes(w.page);
        assert.ok(b.text.length >= 2 && b.controls.length >= 2, JSON.stringify(b));
        for (const t of b.text) {
          for (const c of b.controls) assert.ok(!overlaps(t, c), `at ${width} px the text ${JSON.stringify(t)} overlaps a control ${JSON.stringify(c)}`);
          if (b.overlay) assert.ok(!overlaps(t, b.overlay), `at ${width} px the text overlaps the stats ${JSON.stringify(b.overlay)}`);
          assert.ok(t.top >= b.stage.top && t.bottom <= b.stage.bottom, 'the text stays inside the picture');
        }
        assert.deepEqual(w.problems, []);
      } finally {
        frames.stop();
        await cam.close();
        await w.page.close();
      }
    }
  });

  it('clears the stats when the broadcast stops and greys the viewer count while the server is away', async () => {
    const cam = await server.broadcaster('stale');
    const frames = await streamFrames(cam);
    const w = await open('/viewer/stale');
    try {
      await waitPainted(w.page, 5);
      await w.page.waitForFunction(() => /^[\d.]+ fps$/.test(document.getElementById('ov-fps')!.textContent ?? '') && /^[1-9]\d* KB\/s$/.test(document.getElementById('ov-rate')!.textContent ?? ''), { timeout: 5000 });
      await w.page.waitForFunction(() => /^latency \d+ ms$/.test(document.getElementById('ov-latency')!.textContent ?? ''), { timeout: 10_000 });
      frames.stop();
      await cam.close();
      await waitState(w.page, 'offline');
      // At once, not after the rate window has drained.
      assert.deepEqual(
        [await textOf(w.page, '#ov-fps'), await textOf(w.page, '#ov-latency'), await textOf(w.page, '#ov-rate')],
        ['– fps', 'latency –', '– KB/s'],
      );
      assert.match(await textOf(w.page, '#ov-res'), /^320×240$/, 'the last picture is still that size');
      assert.match(await textOf(w.page, '#viewers'), /1 viewer watching/);
      assert.equal(await w.page.$eval('#viewers', (e) => e.classList.contains('stale')), false);

      server = await restartTestServer(server, { qualityTiers: 'sd:160:50' }, {}, async () => {
        await waitState(w.page, 'reconnecting');
        const v = await w.page.$eval('#viewers', (e) => ({ stale: e.classList.contains('stale'), opacity: Number(getComputedStyle(e).opacity), title: e.getAttribute('title') }));
        assert.equal(v.stale, true, 'the count is marked as not known');
        assert.ok(v.opacity < 0.6, `greyed (opacity ${v.opacity})`);
        assert.match(v.title ?? '', /not known while the connection is down/);
      });
      await waitState(w.page, 'offline', 10_000);
      await w.page.waitForFunction(() => !document.getElementById('viewers')!.classList.contains('stale'), { timeout: 5000 });
      // While the server was down the browser logged the refused connection attempts: expected.
      w.problems.length = 0;
    } finally {
      frames.stop();
      await cam.close();
      await w.page.close();
    }
  });

  it('sends a room link with capitals to the room, and explains a name that cannot be one', async () => {
    const w = await open('/viewer/Lab?x=1', { allow: /404/ });
    try {
      await waitState(w.page, 'offline');
      assert.equal(new URL(w.page.url()).pathname + new URL(w.page.url()).search, '/viewer/lab?x=1');
      assert.equal(await textOf(w.page, '#room-title'), 'lab');
      await w.page.goto(server.httpUrl('/viewer/no%20spaces'), { waitUntil: 'load' });
      assert.match(await textOf(w.page, 'h1'), /That is not a room name/);
      assert.match(await textOf(w.page, '#room-rule'), /1 to 64 characters .* lower-case letters/s);
      assert.ok(await w.page.$eval('link[rel=stylesheet]', (l) => (l as HTMLLinkElement).sheet !== null), 'styled like the other pages');
      assert.ok(await w.page.$('a[href="/"]'), 'offers the way back');
      assert.deepEqual(w.problems.filter((p) => !/404/.test(p)), []);
    } finally {
      await w.page.close();
    }
  });
});
