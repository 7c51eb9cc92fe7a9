import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { pusherFollowRoutes } from '../helpers/pusher-follow-page.js';
import { APP, sdkFor, startPusherServer, testApp } from '../helpers/pusher-server.js';
import type { TestServer } from '../helpers/test-server.js';
import type { TestClient } from '../helpers/ws-client.js';

const followed = (p: Page) => p.$$eval('#follow li', (els) => els.map((e) => ({ id: Number((e as HTMLElement).dataset.id), role: (e as HTMLElement).dataset.role, text: e.textContent })));

describe('a page with pusher-js follows a room', () => {
  let server: TestServer;
  let browser: Browser;
  let cam: TestClient;
  const opened: WatchedPage[] = [];

  beforeAll(async () => {
    const routes = await pusherFollowRoutes();
    server = await startPusherServer([testApp()], {}, { http: (app) => routes(app) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await cam?.close();
    await browser?.close();
    await server?.stop();
  });

  it("shows the room's chat while a native viewer chats on the viewer page, and a backend's message in both", async () => {
    cam = await server.broadcaster('stage');
    const follow = await openPage(browser);
    opened.push(follow);
    await follow.page.goto(server.httpUrl(`/test/pusher-follow.html?room=stage&key=${APP.key}&wsPort=${server.wsPort}&name=Pat`), { waitUntil: 'domcontentloaded' });
    await follow.page.waitForFunction(() => document.body.dataset.state === 'following', { timeout: 10_000 });
    await follow.page.waitForFunction(() => document.getElementById('members')!.textContent === '1', { timeout: 5000 });

    const viewer = await openPage(browser);
    opened.push(viewer);
    await viewer.page.goto(server.httpUrl('/viewer/stage'), { waitUntil: 'domcontentloaded' });
    await viewer.page.waitForFunction(() => document.body.dataset.state === 'live', { timeout: 10_000 });
    await viewer.page.click('#chat-input');
    await viewer.page.keyboard.type('hello from the viewer page');
    await viewer.page.keyboard.press('Enter');
    await follow.page.waitForFunction(() => document.querySelectorAll('#follow li').length === 1, { timeout: 5000 });

    await sdkFor(server).trigger('room.stage', 'chat', { text: 'posted by the shop', name: 'Shop' });
    await follow.page.waitForFunction(() => document.querySelectorAll('#follow li').length === 2, { timeout: 5000 });
    await viewer.page.waitForSelector('#chat-log .chat-msg.from-server', { timeout: 5000 });

    const seen = await followed(follow.page);
    assert.deepEqual(seen.map((m) => [m.role, m.text.replace(/^[^:]*: /, '')]), [['viewer', 'hello from the viewer page'], ['server', 'posted by the shop']]);
    const ids = await viewer.page.$$eval('#chat-log .chat-msg', (els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
    assert.deepEqual(seen.map((m) => m.id), ids, 'the same ids on both sides');
    const badge = await viewer.page.$eval('#chat-log .chat-msg.from-server .chat-name', (e) => [e.textContent, getComputedStyle(e, '::after').content]);
    assert.deepEqual(badge, ['Shop', '"server"'], 'the viewer page marks the message as the server\'s');
    for (const w of opened) assert.deepEqual(w.problems, []);
  });
});
