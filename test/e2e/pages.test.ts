import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { TestClient } from '../helpers/ws-client.js';
import { restartTestServer, startRestartableTestServer, startTestServer, type TestServer } from '../helpers/test-server.js';

// Until the snapshot route exists on a server, the home page asks once and falls back to a placeholder.
const SNAPSHOT_404 = /snapshot\.jpg/;

/** A cheap picture fingerprint: sampled pixel sum, plus the brightness range (0 = one flat color). */
async function canvasSignature(page: Page, id = 'video'): Promise<{ sig: number; range: number; width: number }> {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    if (c.width === 0 || c.height === 0) return { sig: 0, range: 0, width: 0 };
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sig = 0;
    let min = 255;
    let max = 0;
    for (let i = 0; i < d.length; i += 4 * 97) {
      const y = (d[i]! * 3 + d[i + 1]! * 6 + d[i + 2]!) / 10;
      sig = (sig * 31 + d[i]! + d[i + 1]! * 7 + d[i + 2]! * 13) >>> 0;
      if (y < min) min = y;
      if (y > max) max = y;
    }
    return { sig, range: max - min, width: c.width };
  }, id);
}

const state = (p: Page) => p.evaluate(() => document.body.dataset.state ?? '');
const frames = (p: Page) => p.evaluate(() => Number(document.getElementById('video')!.dataset.frames ?? 0));
const waitState = (p: Page, s: string, timeout = 10_000) =>
  p.waitForFunction((want) => document.body.dataset.state === want, { timeout, polling: 50 }, s);
const waitFrames = (p: Page, atLeast: number, timeout = 10_000) =>
  p.waitForFunction((n) => Number(document.getElementById('video')!.dataset.frames ?? 0) >= n, { timeout, polling: 50 }, atLeast);
const chatTexts = (p: Page) => p.$$eval('#chat-log .chat-text', (els) => els.map((e) => e.textContent));

async function sendChat(p: Page, text: string): Promise<void> {
  await p.click('#chat-input');
  await p.keyboard.type(text);
  await p.keyboard.press('Enter');
}

describe('pages in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  const opened: WatchedPage[] = [];
  const open = async (path: string, opts: Parameters<typeof openPage>[1] = {}) => {
    const w = await openPage(browser, opts);
    opened.push(w);
    await w.page.goto(server.httpUrl(path), { waitUntil: 'domcontentloaded' });
    return w;
  };

  beforeAll(async () => {
    server = await startRestartableTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('home page tells a newcomer what to do when nobody is live', async () => {
    const home = await open('/');
    await home.page.waitForSelector('#empty:not([hidden])', { timeout: 5000 });
    const text = await home.page.$eval('#empty', (e) => e.textContent ?? '');
    assert.match(text, /Nobody is live/);
    assert.match(text, /stream-key/);
    assert.ok(await home.page.$('a[href="/camera"]'), 'links to the broadcaster page');
    // Opening a room by name, keyboard only.
    await home.page.focus('#room-name');
    await home.page.keyboard.type('Bad Name!');
    await home.page.keyboard.press('Enter');
    await home.page.waitForSelector('#open-room-error:not([hidden])');
    await home.page.$eval('#room-name', (e) => ((e as HTMLInputElement).value = ''));
    await home.page.type('#room-name', 'some-room');
    await Promise.all([home.page.waitForNavigation(), home.page.keyboard.press('Enter')]);
    assert.equal(new URL(home.page.url()).pathname, '/viewer/some-room');
    await waitState(home.page, 'offline');
    assert.deepEqual(home.problems, []);
    await home.page.close();
  });

  it('every page fits a 360 px phone and labels every control', async () => {
    for (const path of ['/', '/camera?room=phone', '/viewer/phone']) {
      const w = await open(path, { width: 360, height: 740 });
      await w.page.waitForFunction(() => document.body.dataset.state !== undefined || document.body.classList.contains('page-home'));
      const layout = await w.page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        unlabeled: [...document.querySelectorAll('input, select, textarea')]
          .filter((e) => !(e as HTMLElement).hidden && (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label'))
          .map((e) => e.id),
      }));
      assert.equal(layout.overflow, 0, `${path} scrolls sideways at 360 px`);
      assert.deepEqual(layout.unlabeled, [], `${path} has controls without a label`);
      assert.deepEqual(w.problems, []);
      await w.page.close();
    }
  });

  it('camera page explains a wrong stream key in words', async () => {
    // The refused verify-key call is the one expected console line (Chrome logs every 401).
    const cam = await open('/camera?room=wrongkey&key=00000000000000000000000000000000&autostart=1', { allow: /verify-key/ });
    await cam.page.waitForFunction(() => /stream key is wrong/.test(document.getElementById('messages')!.textContent ?? ''), { timeout: 5000 });
    assert.equal(await state(cam.page), 'offline');
    assert.deepEqual(cam.problems, []);
    await cam.page.close();
  });

  it('camera page explains a denied camera permission', async () => {
    const strict = await launchBrowser({ askPermission: true });
    try {
      await strict.defaultBrowserContext().setPermission(server.httpUrl(''), { permission: { name: 'camera' }, state: 'denied' });
      const w = await openPage(strict);
      await w.page.goto(server.httpUrl(`/camera?room=denied&key=${server.key('denied')}&autostart=1`));
      await w.page.waitForFunction(() => /permission was denied/.test(document.getElementById('messages')!.textContent ?? ''), { timeout: 5000 });
      assert.equal(await state(w.page), 'offline');
      assert.equal(await w.page.$eval('#start', (e) => (e as HTMLElement).hidden), false, 'Start is offered again');
      assert.deepEqual(w.problems, []);
    } finally {
      await strict.close();
    }
  });

  describe('one broadcaster, two viewers', () => {
    const room = 'e2e';
    let cam: WatchedPage;
    let v1: WatchedPage;
    let v2: WatchedPage;

    it('streams the fake camera to both viewers: pictures are not blank and change over time', async () => {
      v1 = await open(`/viewer/${room}`);
      await waitState(v1.page, 'offline');
      cam = await open(`/camera?room=${room}&key=${server.key(room)}&autostart=1`);
      v2 = await open(`/viewer/${room}`);
      await waitState(cam.page, 'live');
      for (const v of [v1, v2]) {
        await waitState(v.page, 'live');
        await waitFrames(v.page, 3);
        const a = await canvasSignature(v.page);
        const n = await frames(v.page);
        await waitFrames(v.page, n + 5);
        const b = await canvasSignature(v.page);
        assert.ok(a.width > 0 && a.range > 20, `picture is not blank (brightness range ${a.range})`);
        assert.notEqual(a.sig, b.sig, 'the picture changes over time');
      }
      const preview = await canvasSignature(cam.page, 'preview');
      assert.ok(preview.range > 20, 'the broadcaster previews what it sends');
      // The camera page counts the viewers.
      await cam.page.waitForFunction(() => document.getElementById('st-viewers')!.textContent === '2', { timeout: 5000 });
    });

    it('a viewer that joins later shows the cached last frame at once', async () => {
      const late = await open(`/viewer/${room}`);
      await waitFrames(late.page, 1, 5000);
      const { joinToPaint, firstRelayedAt, welcomeAt } = await late.page.evaluate(() => {
        const b = (window as unknown as { beamcast: { paints: { relayedAt: number; paintedAt: number }[]; socket: { current: { serverTime: number } } } }).beamcast;
        const first = b.paints[0]!;
        const welcomeAt = b.socket.current.serverTime;
        return { joinToPaint: first.paintedAt - welcomeAt, firstRelayedAt: first.relayedAt, welcomeAt };
      });
      // Relayed before this viewer's welcome: the room's cached frame, not the next live one.
      assert.ok(firstRelayedAt <= welcomeAt, 'the first picture is the cached frame');
      assert.ok(joinToPaint < 1000, `picture within a second of joining (took ${joinToPaint} ms)`);
      assert.deepEqual(late.problems, []);
      await late.page.close();
    });

    it('chat typed on one page appears on the others, as text', async () => {
      await sendChat(v1.page, 'hello from viewer one');
      await sendChat(cam.page, '<b>bold?</b> & more');
      for (const p of [cam.page, v1.page, v2.page]) {
        await p.waitForFunction(() => document.querySelectorAll('#chat-log .chat-text').length >= 2, { timeout: 5000 });
        assert.deepEqual(await chatTexts(p), ['hello from viewer one', '<b>bold?</b> & more']);
        assert.equal(await p.$('#chat-log b'), null, 'chat text is never HTML');
      }
      assert.equal(await v1.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value), '', 'input cleared after sending');
      // Errors show inline, next to the input.
      await v2.page.focus('#chat-input');
      await v2.page.keyboard.press('Enter');
      await v2.page.waitForSelector('#chat-error:not([hidden])', { timeout: 2000 });
      assert.match(await v2.page.$eval('#chat-error', (e) => e.textContent ?? ''), /Type a message/);
    });

    it('a viewer that lost its connection recovers the chat it missed', async () => {
      const sockets: string[] = [];
      const cdp = await v1.page.createCDPSession();
      await cdp.send('Network.enable');
      cdp.on('Network.webSocketCreated', (e) => sockets.push(e.url));
      // Keep the viewer away while a message is posted: drop its socket, then block new ones
      // (the first retry waits at least 250 ms). Offline first would stall the close handshake.
      await v1.page.evaluate(() => (window as unknown as { beamcast: { socket: { ws: WebSocket } } }).beamcast.socket.ws.close(4000, 'test'));
      await waitState(v1.page, 'reconnecting');
      await v1.page.setOfflineMode(true);
      const poster = await TestClient.connect(server.wsUrl(room, { name: 'late-poster' }));
      await poster.nextText('history');
      poster.send({ type: 'chat', text: 'posted while you were away' });
      await poster.nextText('chat');
      await poster.close();
      await v1.page.setOfflineMode(false);
      await waitState(v1.page, 'live', 15_000);
      await v1.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'posted while you were away'), { timeout: 5000 });
      assert.deepEqual(await chatTexts(v1.page), ['hello from viewer one', '<b>bold?</b> & more', 'posted while you were away'], 'each message once, in order');
      assert.ok(sockets.length > 0 && sockets.every((u) => new URL(u).searchParams.get('since') === '2'), `reconnects ask for the chat after id 2: ${sockets.join(' ')}`);
      await cdp.detach();
      // While offline the browser logged its refused attempts: expected.
      v1.problems.length = 0;
    });

    it('restarting the server makes both sides reconnect by themselves', async () => {
      const before1 = await frames(v1.page);
      server = await restartTestServer(server, {}, {}, async () => {
        await Promise.all([cam, v1, v2].map((w) => waitState(w.page, 'reconnecting')));
      });
      // While the server was down the browser logged every refused connection attempt: expected.
      for (const w of [cam, v1, v2]) w.problems.length = 0;
      await waitState(cam.page, 'live', 30_000);
      for (const v of [v1, v2]) await waitState(v.page, 'live', 30_000);
      await waitFrames(v1.page, before1 + 5, 10_000);
      // The new server's chat log starts afresh, and the pages show that rather than stale ids.
      await sendChat(v2.page, 'after restart');
      await v1.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'after restart'), { timeout: 5000 });
      assert.deepEqual(await chatTexts(v1.page), ['after restart']);
    });

    it('closing the broadcaster shows the offline state with the last picture', async () => {
      await cam.page.close();
      for (const v of [v1, v2]) {
        await waitState(v.page, 'offline');
        const msg = await v.page.$eval('#stage-message', (e) => e.textContent ?? '');
        assert.match(msg, /Offline since \d\d:\d\d:\d\d/);
        assert.ok((await canvasSignature(v.page)).range > 5, 'the last picture stays');
      }
      for (const w of [cam, v1, v2]) assert.deepEqual(w.problems, []);
    });
  });

  it('the home page lists a live room with its viewer count and age', async () => {
    const cam = await open(`/camera?room=listed&key=${server.key('listed')}&autostart=1`);
    await waitState(cam.page, 'live');
    const viewer = await open('/viewer/listed');
    await waitFrames(viewer.page, 1);
    const home = await open('/', { allow: SNAPSHOT_404 });
    await home.page.waitForSelector('.room-card[data-room="listed"]', { timeout: 5000 });
    await home.page.waitForFunction(() => /1 viewer/.test(document.querySelector('.room-card[data-room="listed"]')?.textContent ?? ''), { timeout: 8000 });
    const card = await home.page.$eval('.room-card[data-room="listed"]', (e) => e.textContent ?? '');
    assert.match(card, /Live/);
    assert.match(card, /Live for \d+ s/);
    assert.equal(await home.page.$eval('#empty', (e) => (e as HTMLElement).hidden), true);
    assert.equal(await home.page.$eval('.room-card[data-room="listed"] a', (e) => e.getAttribute('href')), '/viewer/listed');
    for (const w of [cam, viewer, home]) assert.deepEqual(w.problems, []);
    await Promise.all([cam, viewer, home].map((w) => w.page.close()));
  });

  it('the viewer offers a quality menu only when the server has several tiers', async () => {
    const single = await startTestServer({}, { qualities: ['source'] });
    try {
      const w = await openPage(browser);
      opened.push(w);
      await w.page.goto(single.httpUrl('/viewer/tiers'));
      await waitState(w.page, 'offline');
      assert.equal(await w.page.$eval('#quality', (e) => (e as HTMLElement).hidden), true, 'one tier: no menu');
      await w.page.close();
    } finally {
      await single.stop();
    }

    const tiered = await startTestServer({}, { qualities: ['source', 'low'] });
    try {
      const w = await openPage(browser);
      opened.push(w);
      await w.page.goto(tiered.httpUrl('/viewer/tiers'));
      await w.page.waitForSelector('#quality:not([hidden])', { timeout: 5000 });
      assert.deepEqual(await w.page.$$eval('#quality option', (os) => os.map((o) => (o as HTMLOptionElement).value)), ['auto', 'source', 'low']);
      await w.page.select('#quality', 'low');
      const room = () => tiered.rooms.get('tiers');
      await w.page.waitForFunction(() => localStorage.getItem('beamcast.quality') === 'low');
      // The server confirms the switch; the page follows it.
      await w.page.waitForSelector('#quality[data-quality="low"]', { timeout: 5000 });
      for (let i = 0; i < 50 && room()?.frames.channels.get('low')?.size !== 1; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(room()?.frames.channels.get('low')?.size, 1, 'the server moved the viewer to the chosen tier');
      assert.deepEqual(w.problems, []);
      await w.page.close();
    } finally {
      await tiered.stop();
    }
  });

  it('a broadcaster in a hidden tab warns and keeps sending', async () => {
    const viewer = await open('/viewer/hidden');
    // Opened last, the camera's window is the one a new tab goes to.
    const cam = await open(`/camera?room=hidden&key=${server.key('hidden')}&autostart=1`);
    await waitState(cam.page, 'live');
    await waitFrames(viewer.page, 1);
    const cover = await cam.page.browserContext().newPage();
    await cover.bringToFront();
    await cam.page.waitForFunction(() => document.visibilityState === 'hidden', { timeout: 5000 });
    await cam.page.waitForFunction(() => /background/.test(document.getElementById('messages')!.textContent ?? ''), { timeout: 5000 });
    const before = await frames(viewer.page);
    await waitFrames(viewer.page, before + 5);
    await cover.close();
    await cam.page.bringToFront();
    await cam.page.waitForFunction(() => !/background/.test(document.getElementById('messages')!.textContent ?? ''), { timeout: 5000 });
    for (const w of [cam, viewer]) assert.deepEqual(w.problems, []);
    await Promise.all([cam.page.close(), viewer.page.close()]);
  });

  it('a broadcaster taken over by another says so and does not fight back', async () => {
    const first = await open(`/camera?room=takeover&key=${server.key('takeover')}&autostart=1`);
    await waitState(first.page, 'live');
    const second = await open(`/camera?room=takeover&key=${server.key('takeover')}&autostart=1`);
    await waitState(second.page, 'live');
    await waitState(first.page, 'offline');
    assert.match(await first.page.$eval('#messages', (e) => e.textContent ?? ''), /Another broadcaster took over room “takeover”/);
    // Close code 4501 means no reconnect: two pages retaking the room would flap forever.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await state(first.page), 'offline');
    assert.equal(await state(second.page), 'live');
    for (const w of [first, second]) assert.deepEqual(w.problems, []);
    await Promise.all([first.page.close(), second.page.close()]);
  });
});
