// What people see of the audience and of moderation on the pages: the same colour and "you"
// after a reconnect, same names told apart, the viewer list, join notices, and the broadcaster's
// moderation controls with their effect on the viewer page.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'puppeteer';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { mintOverHttp } from '../helpers/room-admin.js';
import { sendChat, textOf, waitState } from '../helpers/pages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { intervalMs: 100, graceMs: 500, noticeWindowMs: 300 };

describe('the audience and moderation on the pages', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: TestClient[] = [];

  /** A page of a person of its own (own storage: own identity and name). */
  const person = async (path: string, opts: { name?: string; width?: number; height?: number } = {}): Promise<WatchedPage> => {
    const ctx = await browser.createBrowserContext();
    contexts.push(ctx);
    const w = await openPage(ctx, { width: opts.width ?? 1280, height: opts.height ?? 800 });
    if (opts.name) await w.page.evaluateOnNewDocument((n) => localStorage.setItem('beamcast.name', n), opts.name);
    await w.page.goto(server.httpUrl(path), { waitUntil: 'domcontentloaded' });
    return w;
  };
  /**
   * Presses a moderator's button on a message or person: a tap on the row first (it shows the
   * buttons, as on a touch screen, and they stay while new messages move the row), then the button.
   */
  const act = async (p: Page, row: string, action: string) => {
    await p.click(`${row} ${row.includes('audience') ? '.audience-name' : '.chat-time'}`);
    await p.click(`${row} .mod-action[data-action="${action}"]`);
  };
  const rowTexts = (p: Page) => p.$$eval('#chat-log .chat-msg', (rows) => rows.map((r) => r.textContent ?? ''));
  const waitText = (p: Page, selector: string, re: RegExp, timeout = 8000) =>
    p.waitForFunction((s, src) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), { timeout, polling: 50 }, selector, re.source);

  beforeAll(async () => {
    server = await startTestServer({ chatRate: '20', chatBurst: '20' }, { audience: FAST });
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('keeps the same colour and "you" after a reconnect and after a reload', async () => {
    const cam = await server.broadcaster('same');
    clients.push(cam);
    const w = await person('/viewer/same', { name: 'ann' });
    await waitState(w.page, 'live');
    await sendChat(w.page, 'before');
    await w.page.waitForSelector('#chat-log .chat-msg.mine');
    const colour = () => w.page.$eval('#chat-log .chat-msg.mine .chat-name', (e) => (e as HTMLElement).style.color);
    const before = await colour();
    await w.page.evaluate(() => (window as unknown as { beamcast: { socket: { ws: WebSocket } } }).beamcast.socket.ws.close(4000, 'test'));
    await waitState(w.page, 'live');
    await sendChat(w.page, 'after');
    await w.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-msg.mine').length === 2, { timeout: 5000 });
    await w.page.reload({ waitUntil: 'domcontentloaded' });
    await w.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-msg.mine').length === 2, { timeout: 8000 });
    const mine = await w.page.$$eval('#chat-log .chat-msg.mine', (rows) => rows.map((r) => [r.querySelector('.chat-text')!.textContent, (r.querySelector('.chat-name') as HTMLElement).style.color]));
    assert.deepEqual(mine, [
      ['before', before],
      ['after', before],
    ]);
    await waitText(w.page, '#audience-list .audience-member.mine', /ann.*you/);
    assert.deepEqual(w.problems, []);
  });

  it('tells two people of one name apart with a tag after the name', async () => {
    const cam = await server.broadcaster('twins');
    clients.push(cam);
    const a = await person('/viewer/twins', { name: 'sam' });
    const b = await person('/viewer/twins', { name: 'sam' });
    await Promise.all([waitState(a.page, 'live'), waitState(b.page, 'live')]);
    await sendChat(a.page, 'from a');
    await sendChat(b.page, 'from b');
    await a.page.waitForFunction(() => document.querySelectorAll('#chat-log .chat-tag:not(:empty)').length === 2, { timeout: 5000 });
    const tags = await a.page.$$eval('#chat-log .chat-msg:not(.chat-notice)', (rows) => rows.map((r) => `${r.querySelector('.chat-name')!.textContent} ${r.querySelector('.chat-tag')!.textContent}`));
    assert.equal(tags.length, 2);
    assert.match(tags[0]!, /^sam #[0-9a-f]{4}$/);
    assert.match(tags[1]!, /^sam #[0-9a-f]{4}$/);
    assert.notEqual(tags[0], tags[1]);
    const listed = await a.page.$$eval('#audience-list .audience-member .chat-tag', (e) => e.map((x) => x.textContent));
    assert.equal(new Set(listed).size, 2, 'the viewer list tells them apart too');
  });

  it('shows who is watching, the broadcaster first, with join notices in the chat, and folds the list on a phone', async () => {
    const host = await person('/camera?room=crowd&key=' + server.key('crowd') + '&autostart=1', { name: 'Host' });
    await waitState(host.page, 'live');
    const viewer = await person('/viewer/crowd', { name: 'maria' });
    await waitState(viewer.page, 'live');
    for (const name of ['tom', 'ann']) {
      const c = await TestClient.connect(server.wsUrl('crowd', { name, identity: `e2e-identity-${name}-0000` }));
      clients.push(c);
    }
    await viewer.page.waitForFunction(() => document.querySelectorAll('#audience-list .audience-member').length === 4, { timeout: 8000 });
    const list = await viewer.page.$$eval('#audience-list .audience-member', (rows) => rows.map((r) => r.querySelector('.audience-name')!.textContent));
    assert.deepEqual(list, ['Host', 'ann', 'maria', 'tom']);
    assert.equal(await textOf(viewer.page, '#audience-summary'), 'Watching · 4');
    assert.equal(await viewer.page.$eval('#audience-list .audience-member', (r) => r.querySelector('.audience-badge')?.textContent), 'host');
    await waitText(host.page, '#chat-log', /joined/);
    assert.ok((await rowTexts(host.page)).some((t) => /(tom and ann|ann and tom|2 people) joined|joined/.test(t)), 'a notice line');
    assert.equal(await host.page.$eval('#chat-log .chat-notice', (r) => getComputedStyle(r.querySelector('.chat-text')!).fontStyle), 'italic');

    const phone = await person('/viewer/crowd', { name: 'pat', width: 390, height: 844 });
    await waitState(phone.page, 'live');
    assert.equal(await phone.page.$eval('#audience', (d) => (d as HTMLDetailsElement).open), false, 'folded on a phone');
    await phone.page.click('#audience-summary');
    await phone.page.waitForFunction(() => document.querySelectorAll('#audience-list .audience-member').length === 5, { timeout: 8000 });
    for (const w of [host, viewer, phone]) assert.deepEqual(w.problems, []);
  });

  it('lets the broadcaster delete, set slow mode, mute, kick and ban from the camera page, and the viewer page shows each', async () => {
    const host = await person('/camera?room=mods&key=' + server.key('mods') + '&autostart=1', { name: 'Host' });
    await waitState(host.page, 'live');
    const viewer = await person('/viewer/mods', { name: 'troll' });
    await waitState(viewer.page, 'live');
    await host.page.waitForSelector('#mod-tools:not([hidden])');

    // Delete: the viewer page keeps the row, without its words.
    await sendChat(viewer.page, 'something rude');
    await host.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'something rude'), { timeout: 5000 });
    await act(host.page, '#chat-log .chat-msg:not(.mine):not(.chat-notice)', 'delete');
    await viewer.page.waitForSelector('#chat-log .chat-msg.removed', { timeout: 5000 });
    assert.equal(await textOf(viewer.page, '#chat-log .chat-msg.removed .chat-text'), 'message removed by a moderator');
    await waitText(host.page, '#chat-error', /deleted for everyone/);

    // Slow mode: the second message stays in the box, with when it can go.
    await host.page.select('#slow-mode', '30');
    await viewer.page.waitForFunction(() => /Slow mode: one message every 30 s/.test((document.getElementById('chat-input') as HTMLInputElement).placeholder), { timeout: 5000 });
    await sendChat(viewer.page, 'first');
    await viewer.page.waitForFunction(() => (document.getElementById('chat-input') as HTMLInputElement).value === '', { timeout: 5000 });
    await sendChat(viewer.page, 'second');
    await waitText(viewer.page, '#chat-error', /Slow mode: you can send your next message in \d+ s/);
    assert.equal(await viewer.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value), 'second');
    await host.page.select('#slow-mode', '0');
    await viewer.page.waitForFunction(() => (document.getElementById('chat-input') as HTMLInputElement).placeholder === 'Say something…', { timeout: 5000 });

    // Mute, from the viewer list: the viewer page says for how long, and keeps the text.
    await host.page.waitForSelector('#audience-list .audience-member:not(.mine)');
    await act(host.page, '#audience-list .audience-member:not(.mine)', 'mute');
    await waitText(viewer.page, '#chat-error', /muted you/);
    await viewer.page.$eval('#chat-input', (e) => ((e as HTMLInputElement).value = ''));
    await sendChat(viewer.page, 'let me talk');
    await waitText(viewer.page, '#chat-error', /A moderator muted you: you can send again in \d+ min/);
    assert.equal(await viewer.page.$eval('#chat-input', (e) => (e as HTMLInputElement).value), 'let me talk');

    // Kick: the viewer page says so and does not come back by itself.
    await act(host.page, '#audience-list .audience-member:not(.mine)', 'kick');
    await waitText(viewer.page, '#stage-message', /removed you from this room/);
    await viewer.page.reload({ waitUntil: 'domcontentloaded' });
    await waitState(viewer.page, 'live');

    // Ban: closed, and a reload is refused with the ban's end.
    await host.page.waitForFunction(() => document.querySelectorAll('#audience-list .audience-member').length === 2, { timeout: 8000 });
    await act(host.page, '#audience-list .audience-member:not(.mine)', 'ban');
    await waitText(viewer.page, '#stage-message', /banned you/);
    await viewer.page.reload({ waitUntil: 'domcontentloaded' });
    await waitText(viewer.page, '#stage-message', /banned you until \d\d:\d\d/, 10_000);

    // Clear: everything said before goes from every page.
    await sendChat(host.page, 'new rules');
    await host.page.click('#clear-chat');
    await host.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-msg')].every((r) => r.classList.contains('chat-notice')), { timeout: 5000 });
    assert.match((await rowTexts(host.page)).join('\n'), /cleared by a moderator/);
    assert.deepEqual(host.problems, []);
    // The banned page's refused reconnects are logged by the browser: expected.
    assert.deepEqual(viewer.problems.filter((p) => !/WebSocket connection|status of 403/.test(p)), []);
  });

  it('gives a viewer whose link grants moderate the same controls on the viewer page', async () => {
    const cam = await server.broadcaster('helped');
    clients.push(cam);
    const token = await mintOverHttp(server.httpUrl(''), 'helped', server.key('helped'), ['watch', 'chat', 'moderate']);
    const mod = await person(`/viewer/helped?token=${token}`, { name: 'helper' });
    await waitState(mod.page, 'live');
    await mod.page.waitForSelector('#mod-tools:not([hidden])');
    const troll = await TestClient.connect(server.wsUrl('helped', { name: 'troll' }));
    clients.push(troll);
    await troll.nextText('history');
    troll.send({ type: 'chat', text: 'spam spam' });
    await mod.page.waitForFunction(() => [...document.querySelectorAll('#chat-log .chat-text')].some((e) => e.textContent === 'spam spam'), { timeout: 5000 });
    await act(mod.page, '#chat-log .chat-msg:not(.mine):not(.chat-notice)', 'delete');
    const marker = await troll.nextTextWhere('chat', (m) => m.kind === 'delete', 5000);
    assert.ok(marker.target! > 0);
    await mod.page.waitForSelector('#chat-log .chat-msg.removed');
    assert.equal(await mod.page.$eval('#audience-list .audience-member.mine .audience-badge', (b) => b.textContent), 'mod');
    assert.deepEqual(mod.problems, []);
  });
});
