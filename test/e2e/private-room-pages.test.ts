import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { deriveTokenKey, mintToken } from '../../src/core/viewer-token.js';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { streamFrames, textOf, waitState } from '../helpers/pages.js';
import { getSettings, setPrivate } from '../helpers/room-admin.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../helpers/test-server.js';

const waitPainted = (p: Page, n = 1) =>
  p.waitForFunction((atLeast) => Number(document.getElementById('video')!.dataset.frames ?? 0) >= atLeast, { timeout: 10_000, polling: 50 }, n);
const waitStage = (p: Page, title: string) =>
  p.waitForFunction((t) => document.querySelector('#stage-message strong')?.textContent === t, { timeout: 10_000, polling: 50 }, title);
// Chrome logs every refused WebSocket upgrade and 401 answer as a console error: expected here.
const REFUSED = /WebSocket connection|401|403/;

describe('private rooms in the pages', () => {
  let server: TestServer;
  let browser: Browser;
  const open = async (path: string, opts: Parameters<typeof openPage>[1] = {}) => {
    const w = await openPage(browser, opts);
    await w.page.goto(server.httpUrl(path), { waitUntil: 'domcontentloaded' });
    return w;
  };

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
    await browser.defaultBrowserContext().overridePermissions(server.httpUrl(''), ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the camera page makes the room private; its copied link opens the viewer page directly, and a viewer without one is told the room is now private', async () => {
    const room = 'hush';
    const cam = await open(`/camera?room=${room}&key=${server.key(room)}&autostart=1`);
    await waitState(cam.page, 'live');
    const before = await open(`/viewer/${room}`, { allow: REFUSED });
    await waitState(before.page, 'live');
    await waitPainted(before.page);
    assert.equal(await before.page.$eval('#private-badge', (e) => (e as HTMLElement).hidden), true);

    await cam.page.waitForSelector('#private:not([disabled])');
    await cam.page.click('#private');
    await cam.page.waitForFunction(() => (document.getElementById('viewer-link') as HTMLInputElement).value.includes('?token='), { timeout: 10_000, polling: 50 });
    assert.equal((await getSettings(server.httpUrl(''), room, server.key(room))).body.private, true, 'the server has it private');
    assert.equal(await cam.page.$eval('#link-options', (e) => (e as HTMLElement).hidden), false, 'link options show while private');
    const height = await cam.page.evaluate(() => document.scrollingElement!.scrollHeight);
    assert.ok(height <= 800, `with them the page still fits 1280×800 (${height} px)`);

    // The viewer without a token: told, not left retrying.
    await waitStage(before.page, 'This room is now private');
    assert.match(await textOf(before.page, '#stage-message'), /viewer link/);
    assert.match(await textOf(before.page, '#status'), /Private room/);

    await cam.page.click('#copy-link');
    await cam.page.waitForFunction(() => document.getElementById('copy-link')!.textContent === 'Copied', { timeout: 5000 });
    const link = await cam.page.evaluate(() => navigator.clipboard.readText());
    assert.match(link, new RegExp(`^${server.httpUrl(`/viewer/${room}`).replace(/[.?]/g, '\\$&')}\\?token=[A-Za-z0-9_.-]+$`));

    const guest = await openPage(browser);
    await guest.page.goto(link, { waitUntil: 'domcontentloaded' });
    await waitState(guest.page, 'live');
    await waitPainted(guest.page, 3);
    assert.equal(await guest.page.$eval('#private-badge', (e) => (e as HTMLElement).hidden), false, 'the page says the room is private');
    assert.equal(await guest.page.$eval('#chat-input', (e) => (e as HTMLInputElement).disabled), false, 'the default link lets its holder chat');
    const list = (await (await fetch(server.httpUrl('/api/rooms'))).json()) as { rooms: { name: string }[] };
    assert.ok(!list.rooms.some((r) => r.name === room), 'not on the home page list');

    // Back to public: the switch on the camera page, and the link needs no token again.
    await cam.page.click('#private');
    await cam.page.waitForFunction(() => !(document.getElementById('viewer-link') as HTMLInputElement).value.includes('?token='), { timeout: 10_000, polling: 50 });
    assert.equal((await getSettings(server.httpUrl(''), room, server.key(room))).body.private, false);
    assert.deepEqual(cam.problems, []);
    assert.deepEqual(guest.problems, []);
    for (const w of [cam, before, guest]) await w.page.close();
  });

  it('a viewer without a token, or with an expired or watch-only one, is told what it may do', async () => {
    const room = 'closed';
    const feed = await server.broadcaster(room);
    const frames = await streamFrames(feed);
    try {
      await setPrivate(server.httpUrl(''), room, server.key(room), true);
      const anon = await open(`/viewer/${room}`, { allow: REFUSED });
      await waitStage(anon.page, 'This room is private');
      assert.match(await textOf(anon.page, '#stage-message'), /Only people with a viewer link/);
      const key = deriveTokenKey(TEST_SECRET);
      const expired = mintToken(key, room, ['watch', 'chat'], 60, Date.now() - 3600_000).token;
      const late = await open(`/viewer/${room}?token=${expired}`, { allow: REFUSED });
      await waitStage(late.page, 'This link has expired');
      const watchOnly = mintToken(key, room, ['watch'], 600).token;
      const quiet = await open(`/viewer/${room}?token=${watchOnly}`);
      await waitState(quiet.page, 'live');
      await waitPainted(quiet.page);
      assert.equal(await quiet.page.$eval('#chat-input', (e) => (e as HTMLInputElement).disabled), true);
      assert.match(await quiet.page.$eval('#chat-input', (e) => (e as HTMLInputElement).placeholder), /watch this private room, not chat/);
      assert.deepEqual(quiet.problems, []);
      for (const w of [anon, late, quiet]) await w.page.close();
    } finally {
      frames.stop();
      await feed.close();
    }
  });

  it('the home page lists public rooms only', async () => {
    const open1 = await server.broadcaster('everyone');
    const open2 = await server.broadcaster('members');
    try {
      await setPrivate(server.httpUrl(''), 'members', server.key('members'), true);
      // Snapshots answer 404 for the placeholder pictures of a room without frames: expected.
      const home = await open('/', { allow: /404/ });
      await home.page.waitForSelector('.room-card[data-room="everyone"]', { timeout: 5000 });
      assert.equal(await home.page.$('.room-card[data-room="members"]'), null);
      // Public again: listed at the next refresh.
      await setPrivate(server.httpUrl(''), 'members', server.key('members'), false);
      await home.page.waitForSelector('.room-card[data-room="members"]', { timeout: 10_000 });
      assert.deepEqual(home.problems, []);
      await home.page.close();
    } finally {
      await open1.close();
      await open2.close();
    }
  });
});
