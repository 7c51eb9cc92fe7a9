// Glass-to-glass latency on loopback: the broadcaster page (system Chromium, fake camera) streams
// to a viewer page through a real server; for every painted frame the viewer records capturedAt
// (broadcaster clock, just before the JPEG encode) and the paint time. Both pages share one clock.
//   npm run bench:glass            (prints a table; SECONDS=10 per setting by default)
import { launchBrowser, openPage } from '../test/helpers/browser.js';
import { startTestServer } from '../test/helpers/test-server.js';

interface Paint {
  seq: number;
  capturedAt: number;
  relayedAt: number;
  paintedAt: number;
  width: number;
}

const SECONDS = Number(process.env.SECONDS ?? 10);
const settings = [
  { resolution: '640x480', fps: 15 },
  { resolution: '640x480', fps: 30 },
  { resolution: '1280x720', fps: 30 },
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const server = await startTestServer();
const browser = await launchBrowser();
const rows: string[] = [];
try {
  for (const [i, s] of settings.entries()) {
    const room = `g2g-${i}`;
    const cam = await openPage(browser);
    // Settings are read from storage at load: set them on the origin first.
    await cam.page.goto(server.httpUrl('/camera'));
    await cam.page.evaluate((st) => {
      localStorage.setItem('beamcast.resolution', st.resolution);
      localStorage.setItem('beamcast.fps', String(st.fps));
      localStorage.setItem('beamcast.jpegQuality', '70');
    }, s);
    await cam.page.goto(server.httpUrl(`/camera?room=${room}&key=${server.key(room)}&autostart=1`));
    await cam.page.waitForFunction(() => document.body.dataset.state === 'live', { timeout: 10_000 });
    const viewer = await openPage(browser);
    await viewer.page.goto(server.httpUrl(`/viewer/${room}`));
    await viewer.page.waitForFunction(() => Number(document.getElementById('video')?.dataset.frames ?? 0) > 10, { timeout: 10_000 });
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const paints = (await viewer.page.evaluate(() => (window as unknown as { beamcast: { paints: unknown[] } }).beamcast.paints)) as Paint[];
    const win = paints.filter((p) => p.paintedAt >= t0);
    const g2g = win.map((p) => p.paintedAt - p.capturedAt);
    const toServer = win.map((p) => p.relayedAt - p.capturedAt);
    const fromServer = win.map((p) => p.paintedAt - p.relayedAt);
    const fps = win.length / SECONDS;
    rows.push(
      `| ${s.resolution} @ ${s.fps} fps | ${fps.toFixed(1)} | ${pct(g2g, 50).toFixed(0)} | ${pct(g2g, 95).toFixed(0)} | ${pct(toServer, 50).toFixed(0)} | ${pct(fromServer, 50).toFixed(0)} | ${win.length} |`,
    );
    await cam.page.close();
    await viewer.page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log('| setting | painted fps | glass-to-glass p50 ms | p95 ms | capture → relay p50 ms | relay → paint p50 ms | frames |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
