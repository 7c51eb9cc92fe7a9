import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage, type WatchedPage } from '../helpers/browser.js';
import { CountingEncoder, jpegInfo, until } from '../helpers/media.js';
import { textOf, waitState } from '../helpers/pages.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('the camera page encodes the tiers viewers watch', () => {
  let server: TestServer;
  let browser: Browser;
  const encoder = new CountingEncoder();

  beforeAll(async () => {
    server = await startTestServer({}, { jpegEncoder: encoder.encode });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function viewer(room: string, quality?: string): Promise<TestClient> {
    const v = await TestClient.connect(server.wsUrl(room, quality ? { quality } : {}));
    await v.nextText('history');
    return v;
  }
  /** The camera page broadcasting `room` at 1280×720 and 10 fps. */
  async function camera(room: string): Promise<WatchedPage> {
    const w = await openPage(browser);
    await w.page.goto(server.httpUrl(`/camera?room=${room}&key=${server.key(room)}`), { waitUntil: 'domcontentloaded' });
    await w.page.select('#resolution', '1280x720');
    await w.page.select('#fps', '10');
    await w.page.click('#start');
    await waitState(w.page, 'live');
    return w;
  }

  it('sends sd and thumb frames of the configured widths without metadata, and the server encodes neither', async () => {
    const [sd, thumb] = await Promise.all([viewer('edge-page', 'sd'), viewer('edge-page', 'thumb')]);
    const w = await camera('edge-page');
    try {
      await w.page.waitForFunction(() => document.getElementById('preview')!.dataset.tiers === 'sd,thumb', { timeout: 10_000 });
      const frames = { sd: [] as Buffer[], thumb: [] as Buffer[] };
      for (let i = 0; i < 10; i++) {
        frames.sd.push((await sd.nextFrame(5000)).bytes);
        frames.thumb.push((await thumb.nextFrame(5000)).bytes);
      }
      for (const f of frames.sd) assert.deepEqual(await jpegInfo(f.subarray(24)), { width: 640, height: 360, hasExif: false });
      for (const f of frames.thumb) assert.deepEqual(await jpegInfo(f.subarray(24)), { width: 160, height: 90, hasExif: false });
      const seqs = sd.frames().map((f) => f.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
      assert.equal(encoder.total, 0, 'the server encoded nothing');
      // The page says what it encodes and what that costs.
      await w.page.waitForFunction(() => /sd 640 px · [\d.]+ ms · \d+ kbit\/s/.test(document.getElementById('tier-stats')!.textContent ?? ''), { timeout: 5000 });
      const line = await textOf(w.page, '#tier-stats');
      assert.match(line, /thumb 160 px · [\d.]+ ms/);
      assert.match(line, /\+\d+ kbit\/s upstream/);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
      await Promise.all([sd, thumb].map((c) => c.close()));
    }
  });

  it('gives up the most expensive tier first when the tiers cannot keep up, and the server makes it from then on', async () => {
    const [sd, thumb] = await Promise.all([viewer('slow-device', 'sd'), viewer('slow-device', 'thumb')]);
    const w = await camera('slow-device');
    try {
      await w.page.waitForFunction(() => document.getElementById('preview')!.dataset.tiers === 'sd,thumb', { timeout: 10_000 });
      const before = encoder.count(640);
      // A device too slow for both tiers at its frame rate: an interval between what thumb alone
      // and what sd and thumb together cost here.
      await w.page.waitForFunction(() => /thumb 160 px · [\d.]+ ms/.test(document.getElementById('tier-stats')!.textContent ?? ''), { timeout: 5000 });
      await w.page.evaluate(() => {
        type Tiers = { intervalMs: number; budget: { costOf(t: string): number | undefined } };
        const tiers = (window as unknown as { beamcast: { tiers: Tiers } }).beamcast.tiers;
        tiers.intervalMs = (tiers.budget.costOf('sd')! + 2 * tiers.budget.costOf('thumb')!) / 2;
      });
      await w.page.waitForFunction(() => document.getElementById('preview')!.dataset.tiers === 'thumb', { timeout: 10_000 });
      await w.page.waitForFunction(() => /made by the server: sd/.test(document.getElementById('tier-stats')!.textContent ?? ''), { timeout: 5000 });
      // The server took sd over: its viewer keeps getting pictures, now recompressed there.
      const seq = sd.frames().at(-1)!.seq;
      await until(() => sd.frames().some((f) => f.seq > seq + 3), 'more sd frames', 5000);
      assert.ok(encoder.count(640) > before, 'the server encodes sd');
      assert.equal((await jpegInfo(sd.frames().at(-1)!.bytes.subarray(24))).width, 640);
      await thumb.nextFrame(5000);
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
      await Promise.all([sd, thumb].map((c) => c.close()));
    }
  });

  it('gives a viewer of a tier nobody watched a picture at once, from the server, until the page sends that tier', async () => {
    const src = await viewer('late-tier');
    const w = await camera('late-tier');
    try {
      await src.nextFrame(5000);
      assert.equal(await w.page.evaluate(() => document.getElementById('preview')!.dataset.tiers), '');
      const before = encoder.count(160);
      const t0 = Date.now();
      const thumb = await viewer('late-tier', 'thumb');
      const first = await thumb.nextFrame(2000);
      assert.ok(Date.now() - t0 < 1000, 'at once');
      assert.equal((await jpegInfo(first.bytes.subarray(24))).width, 160);
      assert.ok(encoder.count(160) > before, 'the server made the first picture');
      await w.page.waitForFunction(() => document.getElementById('preview')!.dataset.tiers === 'thumb', { timeout: 5000 });
      // Once the page's own thumb frames flow, the server makes no more.
      await thumb.nextFrame(5000);
      const atEdge = encoder.count(160);
      for (let i = 0; i < 5; i++) await thumb.nextFrame(5000);
      assert.equal(encoder.count(160), atEdge);
      // Nobody watches any more: the page stops.
      await thumb.close();
      await w.page.waitForFunction(() => document.getElementById('preview')!.dataset.tiers === '', { timeout: 5000 });
      assert.deepEqual(w.problems, []);
    } finally {
      await w.page.close();
      await src.close();
    }
  });
});
