// What encoding the tiers costs the broadcaster: the camera page in headless Chromium (system
// Chromium, fake camera) broadcasting with viewers on sd and thumb (the page encodes both in its
// worker) and, side by side, with a viewer on source only (no tier wanted).
//   npm run bench:tier-encode      (SECONDS=15 per run, ROUNDS=2 alternating)
// Per setting: the worker's ms per frame for each tier (encode wall time, OffscreenCanvas draw +
// convertToBlob), the extra upstream bytes (tier frames against source frames), and Chromium's
// CPU (every process of the browser, from /proc) with and without the tiers.
import { readdirSync, readFileSync } from 'node:fs';
import { launchBrowser, openPage } from '../test/helpers/browser.js';
import { startTestServer } from '../test/helpers/test-server.js';
import { TestClient } from '../test/helpers/ws-client.js';

const SECONDS = Number(process.env.SECONDS ?? 15);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const WARMUP_MS = 4000;
const settings = [
  { resolution: '1280x720', fps: 30 },
  { resolution: '1280x720', fps: 15 },
  { resolution: '640x480', fps: 15 },
];

interface Totals {
  sent: number;
  bytes: number;
  tiers: Record<string, { encodes: number; ms: number; bytes: number }>;
  skipped: number;
}

interface Run {
  tiers: boolean;
  fps: number;
  sourceKbps: number;
  tierKbps: Record<string, number>;
  tierMs: Record<string, number>;
  cpu: number;
  tierSkips: number;
}

/** CPU seconds of a process and all its descendants (Chromium's browser, GPU, renderer, utility processes). */
function treeCpu(root: number): number {
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the process ended
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, n = 0; p !== undefined && p > 1 && n < 20; p = parent.get(p), n++) if (p === root) return true;
    return false;
  };
  let sum = 0;
  for (const [pid, c] of cpu) if (inTree(pid)) sum += c;
  return sum;
}

const server = await startTestServer({ maxFps: '30' });
const browser = await launchBrowser();
const browserPid = browser.process()!.pid!;
const runs = new Map<string, Run[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of settings) {
      for (const withTiers of round % 2 === 0 ? [true, false] : [false, true]) {
        const room = `cost-${round}-${s.resolution}-${s.fps}-${withTiers ? 't' : 'n'}`;
        const viewers = await Promise.all(
          (withTiers ? ['sd', 'thumb'] : ['source']).map(async (quality) => {
            const v = await TestClient.connect(server.wsUrl(room, { quality }));
            await v.nextText('history');
            return v;
          }),
        );
        const cam = await openPage(browser);
        await cam.page.goto(server.httpUrl('/camera'));
        await cam.page.evaluate((st) => {
          localStorage.setItem('beamcast.resolution', st.resolution);
          localStorage.setItem('beamcast.fps', String(st.fps));
          localStorage.setItem('beamcast.jpegQuality', '70');
        }, s);
        await cam.page.goto(server.httpUrl(`/camera?room=${room}&key=${server.key(room)}&autostart=1`));
        await cam.page.waitForFunction(() => document.body.dataset.state === 'live', { timeout: 10_000 });
        await new Promise((r) => setTimeout(r, WARMUP_MS));
        const read = () =>
          cam.page.evaluate(() => {
            const b = (window as unknown as { beamcast: { capture: { seq: number; bytesSent: number }; tiers: { totals: Map<string, { encodes: number; ms: number; bytes: number }>; skipped: number } } }).beamcast;
            return { sent: b.capture.seq, bytes: b.capture.bytesSent, tiers: Object.fromEntries([...b.tiers.totals].map(([k, v]) => [k, { ...v }])), skipped: b.tiers.skipped };
          }) as Promise<Totals>;
        const a = await read();
        const c0 = treeCpu(browserPid);
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const b = await read();
        const c1 = treeCpu(browserPid);
        const secs = (performance.now() - t0) / 1000;
        const tierKbps: Record<string, number> = {};
        const tierMs: Record<string, number> = {};
        for (const [name, t] of Object.entries(b.tiers)) {
          const before = a.tiers[name] ?? { encodes: 0, ms: 0, bytes: 0 };
          tierKbps[name] = ((t.bytes - before.bytes) * 8) / 1000 / secs;
          tierMs[name] = (t.ms - before.ms) / Math.max(1, t.encodes - before.encodes);
        }
        const key = `${s.resolution} @ ${s.fps} fps`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push({
          tiers: withTiers,
          fps: (b.sent - a.sent) / secs,
          sourceKbps: ((b.bytes - a.bytes) * 8) / 1000 / secs,
          tierKbps,
          tierMs,
          cpu: (c1 - c0) / secs,
          tierSkips: b.skipped - a.skipped,
        });
        await cam.page.close();
        await Promise.all(viewers.map((v) => v.close()));
      }
    }
  }
} finally {
  await browser.close();
  await server.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const range = (xs: number[], f = (x: number) => x.toFixed(1)) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
process.stdout.write(`| setting | sent fps without / with tiers | sd ms per frame | thumb ms per frame | source kbit/s | extra upstream for sd + thumb | Chromium CPU without tiers | with sd + thumb | tier rounds skipped |\n`);
process.stdout.write('|---|---|---|---|---|---|---|---|---|\n');
for (const [key, rs] of runs) {
  const on = rs.filter((r) => r.tiers);
  const off = rs.filter((r) => !r.tiers);
  const extra = on.map((r) => (r.tierKbps.sd ?? 0) + (r.tierKbps.thumb ?? 0));
  process.stdout.write(
    `| ${key} | ${range(off.map((r) => r.fps))} / ${range(on.map((r) => r.fps))} | ${range(on.map((r) => r.tierMs.sd ?? NaN), (x) => x.toFixed(2))} | ${range(on.map((r) => r.tierMs.thumb ?? NaN), (x) => x.toFixed(2))} | ${range(on.map((r) => r.sourceKbps), (x) => x.toFixed(0))} | ${range(extra, (x) => x.toFixed(0))} kbit/s (${range(
      on.map((r, i) => (100 * extra[i]!) / r.sourceKbps),
      (x) => x.toFixed(0),
    )}% of the source) | ${range(off.map((r) => r.cpu * 100), (x) => x.toFixed(0))}% | ${range(on.map((r) => r.cpu * 100), (x) => x.toFixed(0))}% | ${on.map((r) => r.tierSkips).join(', ')} |\n`,
  );
}
process.stdout.write(`\n${ROUNDS} rounds of ${SECONDS} s per run, median (min–max); CPU in % of one core, every Chromium process.\n`);
