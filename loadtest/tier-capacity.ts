// Rooms one server carries with every quality tier watched: tiers sent by the broadcasters
// (edge) against tiers recompressed by the server, side by side in one run.
//
//   npm run bench:tier-capacity -- [--edge 10,20,40] [--server 2,4,6] [--viewers 1000] [--fps 15]
//                                  [--duration 15] [--warmup 4] [--rounds 1]
//
// Each step starts a fresh server (dist/server/main.js, its own process) and R rooms, each with a
// broadcaster sending 720p camera-like JPEGs (ffmpeg testsrc2, 46 KiB) at --fps, and --viewers
// viewers spread evenly over the rooms: in every room one on source, one on sd, one on thumb, and
// beyond that one in ten on sd and the rest on thumb (a grid of small pictures, as in
// bench:media). In `edge` steps each broadcaster announces sd and thumb and sends them as tier
// frames with every source frame (encoded once before the run with sharp, standing in for the
// camera page's worker); in `server` steps it sends the source only and the server recompresses.
//
// Delivered: frames are numbered; the window is every frame a broadcaster sends between the end
// of the warmup and the end of the run, and each viewer should get each of them on its tier
// (the server's recompression is latest-wins: a frame it had no time to encode is not delivered).
// The server's CPU comes from its own process_cpu_seconds_total (all threads).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseQualityTiers } from '../src/config/quality-tiers.js';
import { JpegSplitter } from '../src/ingest/jpeg-splitter.js';
import { sharpEncoder } from '../src/media/jpeg-encoder.js';
import { encodeFrame, encodeTierFrame } from '../src/protocol/index.js';
import { openBroadcaster, type FrameRefusals } from './broadcaster.js';
import { LeanSocket } from './lean-socket.js';
import { spawnTarget, type SpawnedTarget } from './spawn-target.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const EDGE_STEPS = list(flag('--edge', '10,20,30,40'));
const SERVER_STEPS = list(flag('--server', '2,3,4,6'));
const VIEWERS = Number(flag('--viewers', '1000'));
const FPS = Number(flag('--fps', '15'));
const DURATION_S = Number(flag('--duration', '15'));
const WARMUP_S = Number(flag('--warmup', '4'));
const ROUNDS = Number(flag('--rounds', '1'));
const DRAIN_MS = 2000;
const TIERS = parseQualityTiers('sd:640:60,thumb:160:50');
const QUALITIES = ['source', 'sd', 'thumb'] as const;
type Quality = (typeof QUALITIES)[number];
type Mode = 'edge' | 'server';
const out = (line = '') => process.stdout.write(line + '\n');

interface Pictures {
  source: Buffer[];
  sd: Uint8Array[];
  thumb: Uint8Array[];
}

async function pictures(count: number): Promise<Pictures> {
  const ff = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-frames:v', String(count), '-q:v', '5', '-f', 'mjpeg', '-'],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  if (ff.status !== 0) throw new Error(`ffmpeg failed: ${ff.stderr.toString()}`);
  const source = new JpegSplitter().push(ff.stdout);
  const sd = await Promise.all(source.map((f) => sharpEncoder(f, TIERS[0]!)));
  const thumb = await Promise.all(sd.map((f) => sharpEncoder(f, TIERS[1]!)));
  return { source, sd, thumb };
}

interface Viewer {
  quality: Quality;
  room: number;
  /** Frames received with seq in the window (from `from` on; nothing is sent after the window). */
  got: number;
  lastSeq: number;
}

interface StepResult {
  round: number;
  mode: Mode;
  rooms: number;
  delivered: number;
  byTier: Record<Quality, number>;
  cpu: number;
  mainThread: number;
  /** Share of the window the server's main thread was ready to run but waited for a core. */
  waited: number;
  /** This process (broadcasters and viewers) in cores. */
  generator: number;
  refused: number;
}

function mixOf(k: number): Quality {
  if (k < 3) return QUALITIES[k]!;
  return k % 10 === 1 ? 'sd' : 'thumb';
}

async function metricsCpu(srv: SpawnedTarget): Promise<number> {
  const text = await (await fetch(`http://${srv.host}:${srv.httpPort}/metrics`)).text();
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** Seconds the server's main thread ran, and seconds it was ready to run but waited for a core. */
function mainThread(pid: number): { ran: number; waited: number } {
  const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { ran: ran! / 1e9, waited: waited! / 1e9 };
}

const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function step(round: number, mode: Mode, rooms: number, pics: Pictures): Promise<StepResult> {
  const srv = await spawnTarget('beamcast', { maxFrameBytes: 1024 * 1024, maxFps: 30, chatRate: 1, env: { QUALITY_TIERS: TIERS.join(','), LOG_LEVEL: 'warn' } });
  const refusals: FrameRefusals = {};
  const viewers: Viewer[] = [];
  const conns: LeanSocket[] = [];
  let from = Number.POSITIVE_INFINITY;
  try {
    const cams: LeanSocket[] = [];
    for (let r = 0; r < rooms; r++) {
      const path = `/ws/cap${r}?role=broadcaster&key=${srv.key(`cap${r}`)}`;
      const cam = await openBroadcaster('beamcast', srv.host, srv.wsPort, path, refusals);
      if (mode === 'edge') cam.sendText(JSON.stringify({ type: 'encoding', tiers: TIERS.map((t) => t.name) }));
      cams.push(cam);
    }
    // Viewers, spread evenly; every room has each tier watched.
    const opened: Promise<void>[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const room = i % rooms;
      const v: Viewer = { quality: mixOf(Math.floor(i / rooms)), room, got: 0, lastSeq: -1 };
      viewers.push(v);
      opened.push(
        new Promise((resolve, reject) => {
          const conn = new LeanSocket(
            { host: srv.host, port: srv.wsPort, path: `/ws/cap${room}?quality=${v.quality}` },
            {
              open: () => resolve(),
              binary: (_c, head, headLen) => {
                if (headLen < 8) return;
                const seq = (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0;
                if (seq >= from && seq !== v.lastSeq) v.got++;
                v.lastSeq = seq;
              },
              text: () => {},
              refused: (_c, status, code) => reject(new Error(`viewer refused: ${status} ${code}`)),
              closed: () => {},
            },
          );
          conns.push(conn);
        }),
      );
      if (i % 200 === 199) await Promise.all(opened.slice(-200));
    }
    await Promise.all(opened);

    // Broadcasters on one clock, each room at its own phase so the frames do not come in bursts.
    const interval = 1000 / FPS;
    const t0 = performance.now();
    const sent = new Array<number>(rooms).fill(0);
    let stopAt = Number.POSITIVE_INFINITY;
    const sender = setInterval(() => {
      const now = performance.now();
      for (let r = 0; r < rooms; r++) {
        const due = Math.floor((Math.min(now, stopAt) - t0) / interval - r / rooms) + 1;
        while (sent[r]! < due) {
          const seq = sent[r]!++;
          const i = seq % pics.source.length;
          const at = Date.now();
          const cam = cams[r]!;
          cam.sendBinaryParts([encodeFrame(new Uint8Array(0), seq, at), pics.source[i]!]);
          if (mode === 'edge') {
            cam.sendBinaryParts([encodeTierFrame(new Uint8Array(0), 'sd', seq, at), pics.sd[i]!]);
            cam.sendBinaryParts([encodeTierFrame(new Uint8Array(0), 'thumb', seq, at), pics.thumb[i]!]);
          }
        }
      }
    }, 4);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    // The window starts with the next frame of the room furthest along.
    from = Math.max(...sent);
    const startSent = sent.map(() => from);
    const cpu0 = await metricsCpu(srv);
    const main0 = mainThread(srv.pid);
    const gen0 = ownCpu();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, DURATION_S * 1000));
    stopAt = performance.now();
    const cpu1 = await metricsCpu(srv);
    const main1 = mainThread(srv.pid);
    const gen1 = ownCpu();
    const secs = (stopAt - w0) / 1000;
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    clearInterval(sender);
    const expected = (room: number) => Math.max(0, sent[room]! - startSent[room]!);
    const byTier = { source: [0, 0], sd: [0, 0], thumb: [0, 0] } as Record<Quality, [number, number]>;
    for (const v of viewers) {
      byTier[v.quality][0] += Math.min(v.got, expected(v.room));
      byTier[v.quality][1] += expected(v.room);
    }
    let got = 0;
    let want = 0;
    for (const q of QUALITIES) {
      got += byTier[q][0];
      want += byTier[q][1];
    }
    for (const c of cams) c.destroy();
    return {
      round,
      mode,
      rooms,
      delivered: got / want,
      byTier: Object.fromEntries(QUALITIES.map((q) => [q, byTier[q][0] / Math.max(1, byTier[q][1])])) as Record<Quality, number>,
      cpu: (cpu1 - cpu0) / secs,
      mainThread: (main1.ran - main0.ran) / secs,
      waited: (main1.waited - main0.waited) / secs,
      generator: (gen1 - gen0) / secs,
      refused: Object.values(refusals).reduce((a, b) => a + b, 0),
    };
  } finally {
    for (const c of conns) c.destroy();
    await srv.stop();
  }
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;
out(`load average before the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${availableParallelism()} cores)`);
out(`${VIEWERS} viewers over R rooms of 720p × ${FPS} fps, every tier watched; ${DURATION_S} s measured after ${WARMUP_S} s`);
out();
const pics = await pictures(90);
const avg = (xs: readonly Uint8Array[]) => xs.reduce((a, x) => a + x.length, 0) / xs.length / 1024;
out(`frames: source ${avg(pics.source).toFixed(1)} KiB, sd ${avg(pics.sd).toFixed(1)} KiB, thumb ${avg(pics.thumb).toFixed(1)} KiB`);
out();
out('| round | tiers made by | rooms | viewers per room | delivered | source / sd / thumb | server CPU (1 = a core) | event loop thread | server waited for a core | load generator CPU | frames refused |');
out('|---|---|---|---|---|---|---|---|---|---|---|');
const results: StepResult[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const steps: [Mode, number][] = [];
  for (let i = 0; i < Math.max(EDGE_STEPS.length, SERVER_STEPS.length); i++) {
    if (SERVER_STEPS[i] !== undefined) steps.push(['server', SERVER_STEPS[i]!]);
    if (EDGE_STEPS[i] !== undefined) steps.push(['edge', EDGE_STEPS[i]!]);
  }
  for (const [mode, rooms] of steps) {
    const r = await step(round, mode, rooms, pics);
    results.push(r);
    out(
      `| ${round} | ${mode === 'edge' ? 'broadcaster' : 'server'} | ${rooms} | ${(VIEWERS / rooms).toFixed(0)} | ${pct(r.delivered)} | ${QUALITIES.map((q) => pct(r.byTier[q], 1)).join(' / ')} | ${r.cpu.toFixed(2)} | ${r.mainThread.toFixed(2)} | ${pct(r.waited, 1)} | ${r.generator.toFixed(2)} | ${r.refused} |`,
    );
  }
}
out();
for (const mode of ['server', 'edge'] as const) {
  for (let round = 1; round <= ROUNDS; round++) {
    const ok = results.filter((r) => r.mode === mode && r.round === round && r.delivered >= 0.99);
    const best = ok.reduce((m, r) => Math.max(m, r.rooms), 0);
    out(`round ${round}: ${mode === 'edge' ? 'tiers from the broadcasters' : 'tiers recompressed by the server'}: at most ${best || '<' + Math.min(...(mode === 'edge' ? EDGE_STEPS : SERVER_STEPS))} rooms with >= 99% delivered`);
  }
}
process.exit(0);
