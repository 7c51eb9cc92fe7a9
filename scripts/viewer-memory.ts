// Viewer memory over a long stream: the broadcaster page streams 640×480 at 30 fps to one viewer
// page; every 30 s the viewer's JS heap, DOM node count and painted frames are sampled through
// the DevTools protocol (after a forced GC, so the figure is what is retained, not garbage).
//   MINUTES=5 npm run bench:viewer-memory
import { launchBrowser, openPage } from '../test/helpers/browser.js';
import { startTestServer } from '../test/helpers/test-server.js';

const MINUTES = Number(process.env.MINUTES ?? 5);
const server = await startTestServer();
const browser = await launchBrowser();
try {
  const room = 'soak';
  const cam = await openPage(browser);
  await cam.page.goto(server.httpUrl('/camera'));
  await cam.page.evaluate(() => {
    localStorage.setItem('beamcast.resolution', '640x480');
    localStorage.setItem('beamcast.fps', '30');
  });
  await cam.page.goto(server.httpUrl(`/camera?room=${room}&key=${server.key(room)}&autostart=1`));
  await cam.page.waitForFunction(() => document.body.dataset.state === 'live', { timeout: 10_000 });
  const viewer = await openPage(browser);
  await viewer.page.goto(server.httpUrl(`/viewer/${room}`));
  const cdp = await viewer.page.createCDPSession();
  await cdp.send('HeapProfiler.enable');
  console.log('| minute | frames painted | JS heap used MB | DOM nodes |');
  console.log('|---|---|---|---|');
  const t0 = Date.now();
  for (;;) {
    await cdp.send('HeapProfiler.collectGarbage');
    const m = await viewer.page.metrics();
    const frames = await viewer.page.evaluate(() => Number(document.getElementById('video')?.dataset.frames ?? 0));
    const minute = (Date.now() - t0) / 60_000;
    console.log(`| ${minute.toFixed(1)} | ${frames} | ${((m.JSHeapUsedSize ?? 0) / 1048576).toFixed(2)} | ${m.Nodes} |`);
    if (minute >= MINUTES) break;
    await new Promise((r) => setTimeout(r, 30_000));
  }
} finally {
  await browser.close();
  await server.stop();
}
