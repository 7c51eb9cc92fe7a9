import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage } from '../helpers/browser.js';
import { sendChat, textOf, waitState } from '../helpers/pages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

describe('the camera page', () => {
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
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('fits preview, controls and chat on a 1280×800 laptop screen while live, without scrolling', async () => {
    const w = await open(`/camera?room=laptop&key=${server.key('laptop')}&autostart=1`, { width: 1280, height: 800 });
    try {
      await waitState(w.page, 'live');
      await w.page.waitForFunction(() => Number(document.getElementById('preview')!.dataset.sent ?? 0) >= 3, { timeout: 10_000 });
      // A few chat messages, as a broadcaster sees them while streaming.
      for (const text of ['one', 'two', 'three']) await sendChat(w.page, text);
      await w.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-msg').length === 3, { timeout: 5000 });
      const m = await w.page.evaluate(() => {
        const bottom = (id: string) => document.getElementById(id)!.getBoundingClientRect().bottom;
        const stage = document.getElementById('stage')!.getBoundingClientRect();
        return {
          scrollHeight: document.scrollingElement!.scrollHeight,
          stage: { width: stage.width, height: stage.height },
          chatInput: bottom('chat-input'),
          share: bottom('copy-link'),
          start: bottom('stop'),
          log: document.getElementById('chat-log')!.getBoundingClientRect().height,
        };
      });
      assert.ok(m.scrollHeight <= 800, `the page is ${m.scrollHeight} px tall at 1280×800`);
      for (const [what, b] of Object.entries({ 'chat input': m.chatInput, 'viewer link': m.share, 'Stop button': m.start })) {
        assert.ok(b <= 800, `${what} is on screen (bottom at ${b})`);
      }
      assert.ok(m.stage.height >= 400 && m.stage.width >= 600, `the preview stays large: ${JSON.stringify(m.stage)}`);
      assert.ok(m.log >= 150, `the chat log keeps room to read (${m.log} px)`);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
    }
  });

  it('says what is left to do when the link filled in the room and the key', async () => {
    const w = await open(`/camera?room=linked&key=${server.key('linked')}`);
    try {
      await w.page.waitForFunction(() => document.body.dataset.state === 'offline');
      const msg = await textOf(w.page, '#stage-message');
      assert.doesNotMatch(msg, /Enter a room/);
      assert.match(msg, /Press Start to broadcast to room “linked”/);
      // Nothing remembered from earlier visits: what the page says depends on the link alone.
      await w.page.evaluate(() => localStorage.clear());
      const roomOnly = await open('/camera?room=kitchen');
      assert.match(await textOf(roomOnly.page, '#stage-message'), /Enter the stream key for room “kitchen”/);
      await roomOnly.page.close();
      const empty = await open('/camera');
      assert.match(await textOf(empty.page, '#stage-message'), /Enter a room and its stream key/);
      await empty.page.type('#room', 'lab');
      assert.match(await textOf(empty.page, '#stage-message'), /Enter the stream key for room “lab”/);
      await empty.page.close();
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
    }
  });

  it('explains the room-name rule in words when the room cannot be one', async () => {
    const w = await open('/camera');
    try {
      await w.page.type('#room', 'my room!');
      await w.page.type('#key', '0123');
      await w.page.click('#start');
      const rule = /Room names are 1–64 characters of a–z, 0–9, _ and -, starting with a letter or digit/;
      // Under the field, and in the browser's own validation message instead of "match the requested format".
      await w.page.waitForSelector('#room-error:not([hidden])', { timeout: 2000 });
      assert.match(await textOf(w.page, '#room-error'), rule);
      const v = await w.page.$eval('#room', (e) => ({ message: (e as HTMLInputElement).validationMessage, invalid: e.getAttribute('aria-invalid'), describedBy: e.getAttribute('aria-describedby') }));
      assert.match(v.message, rule);
      assert.deepEqual([v.invalid, v.describedBy], ['true', 'room-error']);
      assert.equal(await w.page.evaluate(() => document.body.dataset.state), 'offline', 'nothing started');
      // Capitals are the same room, in lower case: no complaint, and the field says so when left.
      await w.page.$eval('#room', (e) => ((e as HTMLInputElement).value = ''));
      await w.page.type('#room', 'Kitchen');
      assert.equal(await w.page.$eval('#room-error', (e) => (e as HTMLElement).hidden), true);
      await w.page.focus('#key');
      assert.equal(await w.page.$eval('#room', (e) => (e as HTMLInputElement).value), 'kitchen');
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
    }
  });
});
