// Media pipeline benchmark: npm run bench:media
//
// 1. CPU per input frame: one 720p camera-like JPEG → sd + thumb with sharp, in this process.
// 2. A real server (dist/server/main.js, its own process) fed 720p × 30 fps by one broadcaster,
//    with every tier watched, measured with 10 and then 1000 WebSocket viewers in the same run.
//    Server CPU is read from /proc per thread: the event loop (relay, fan-out) and the other
//    threads (sharp's encodes on libuv's pool, GC helpers), so the media share is visible apart.
// 4. Who encodes the tiers, side by side in one server process: one 720p × 30 fps room with every
//    tier watched, its tiers recompressed by the server or sent by the broadcaster (pre-encoded
//    tier frames, as the camera page sends them), next to a room nobody watches a tier of.
//
// Usage: npm run bench:media [-- [MEASURE_MS] [--only cost,sd,viewers,origin] [--rounds N] [--viewers 3,30]]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import WebSocket from 'ws';
import { parseQualityTiers } from '../src/config/quality-tiers.js';
import { streamKey } from '../src/core/stream-key.js';
import { JpegSplitter } from '../src/ingest/jpeg-splitter.js';
import { sharpEncoder } from '../src/media/jpeg-encoder.js';
import { encodeFrame, encodeTierFrame } from '../src/protocol/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FPS = 30;
const ROUNDS = 5;
const WARMUP_MS = 3000;
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const MEASURE_MS = Number(positional[0] ?? 10_000);
const ONLY = new Set((flag('--only') ?? 'cost,sd,viewers,origin').split(','));
const ORIGIN_ROUNDS = Number(flag('--rounds') ?? 3);
const ORIGIN_VIEWERS = (flag('--viewers') ?? '3,30').split(',').map(Number);
const SECRET = 'bench-secret';
const TIERS = parseQualityTiers('sd:640:60,thumb:160:50');
const out = (line = '') => process.stdout.write(line + '\n');

/** 720p frames from ffmpeg's testsrc2 (moving, detailed), as a webcam would send them. */
function cameraFrames(count: number): Buffer[] {
  const ff = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${FPS}`, '-frames:v', String(count), '-q:v', '5', '-f', 'mjpeg', '-'],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  if (ff.status !== 0) throw new Error(`ffmpeg failed: ${ff.stderr.toString()}`);
  const splitter = new JpegSplitter();
  return splitter.push(ff.stdout);
}

/** CPU ms per input frame for one way of producing all tiers, measured in this process. */
async function cpuPerFrame(frames: Buffer[], produce: (f: Buffer) => Promise<Uint8Array[]>): Promise<{ cpuMs: number; wallMs: number; sizes: number[] }> {
  for (const f of frames.slice(0, 10)) await produce(f); // warm up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sizes = TIERS.map(() => 0);
  for (const f of frames) (await produce(f)).forEach((o, i) => (sizes[i]! += o.length / frames.length));
  const wallMs = (performance.now() - t0) / frames.length;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / frames.length, wallMs, sizes };
}

async function perFrameCost(frames: Buffer[]): Promise<void> {
  // As the server does it: the widest tier from the source, each narrower one from the tier above.
  const cascade = async (f: Buffer) => {
    const outs: Uint8Array[] = [];
    let input: Uint8Array = f;
    for (const t of TIERS) outs.push((input = await sharpEncoder(input, t)));
    return outs;
  };
  const separate = (f: Buffer) => Promise.all(TIERS.map((t) => sharpEncoder(f, t)));
  // Alternating rounds, median of each: the machine is shared, so one pass can be unlucky.
  const rounds: { c: Awaited<ReturnType<typeof cpuPerFrame>>[]; s: Awaited<ReturnType<typeof cpuPerFrame>>[] } = { c: [], s: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.c.push(await cpuPerFrame(frames, cascade));
    rounds.s.push(await cpuPerFrame(frames, separate));
  }
  const median = (xs: Awaited<ReturnType<typeof cpuPerFrame>>[]) => [...xs].sort((a, b) => a.cpuMs - b.cpuMs)[xs.length >> 1]!;
  const c = median(rounds.c);
  const s = median(rounds.s);
  const avgIn = frames.reduce((a, f) => a + f.length, 0) / frames.length;
  out(`## 1. sharp, one 720p input frame (${(avgIn / 1024).toFixed(1)} KiB) -> ${TIERS.map(String).join(' + ')}, ${frames.length} frames, in-process, median of ${ROUNDS} alternating rounds`);
  out('| method | CPU ms per input frame | wall ms | output KiB | CPU at 30 fps |');
  out('|---|---|---|---|---|');
  for (const [name, r] of [
    ['cascade (server)', c],
    ['each tier from source', s],
  ] as const) {
    out(`| ${name} | ${r.cpuMs.toFixed(2)} | ${r.wallMs.toFixed(2)} | ${r.sizes.map((x) => (x / 1024).toFixed(1)).join(' + ')} | ${((r.cpuMs * FPS) / 10).toFixed(1)}% of one core |`);
  }
  out();
}

/** Where the sd cost comes from: its width (shrink-on-load) and the resize kernel, side by side. */
async function sdVariants(frames: Buffer[]): Promise<void> {
  const variants = [
    [640, 'lanczos3'],
    [640, 'mitchell'],
    [600, 'mitchell'],
    [426, 'mitchell'],
  ] as const;
  const results = new Map<string, number[]>();
  for (let r = 0; r < 3; r++) {
    for (const [width, kernel] of variants) {
      const key = `${width} px, ${kernel}`;
      const { cpuMs } = await cpuPerFrame(frames.slice(0, 30), async (f) => [
        await sharp(f, { sequentialRead: true }).resize({ width, kernel }).jpeg({ quality: 60 }).toBuffer(),
      ]);
      results.set(key, [...(results.get(key) ?? []), cpuMs]);
    }
  }
  out('## 2. one tier from the 720p source at quality 60: width and resize kernel (median of 3 alternating rounds)');
  out('| tier | CPU ms per frame |');
  out('|---|---|');
  for (const [key, xs] of results) out(`| ${key} | ${[...xs].sort((a, b) => a - b)[1]!.toFixed(2)} |`);
  out();
}

interface ThreadCpu {
  main: number;
  other: number;
}
/**
 * CPU seconds of the server so far, its main (event loop) thread apart from the others. The total
 * is the process's own count (process_cpu_seconds_total on /metrics: getrusage, microseconds,
 * threads that ended included); the main thread's is its scheduler runtime (nanoseconds).
 */
async function threadCpu(srv: { proc: ChildProcess; http: number }): Promise<ThreadCpu> {
  const pid = srv.proc.pid!;
  const text = await (await fetch(`http://127.0.0.1:${srv.http}/metrics`)).text();
  const total = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  const main = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  return { main, other: total - main };
}

async function startServer(): Promise<{ proc: ChildProcess; http: number; ws: number }> {
  const proc = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: '0', WS_PORT: '0', HOST: '127.0.0.1', STREAM_SECRET: SECRET, LOG_LEVEL: 'info', DEMO_ROOM: '', MAX_FPS: '60', MAX_CONNECTIONS_PER_IP: '0', CONNECT_RATE: '0', QUALITY_TIERS: TIERS.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"http":"http:\/\/[^:]+:(\d+)","ws":"ws:\/\/[^:]+:(\d+)/.exec(buf);
      if (m) resolve({ proc, http: Number(m[1]), ws: Number(m[2]) });
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code}) before it was up`)));
  });
}

/** A viewer that reads and discards everything: the bench measures the server, not a client library. */
function rawViewer(port: number, room: string, quality: string): Promise<{ socket: Socket; bytes: () => number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: `/ws/${room}?quality=${quality}`,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (_res, socket) => {
      let bytes = 0;
      socket.on('data', (c: Buffer) => (bytes += c.length));
      socket.on('error', () => {});
      resolve({ socket, bytes: () => bytes });
    });
    req.on('response', (res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A `ws` viewer counting the frames it gets: one per tier shows the encode rate. */
async function countingViewer(port: number, room: string, quality: string): Promise<{ ws: WebSocket; frames: () => number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${room}?quality=${quality}`, { perMessageDeflate: false });
  let frames = 0;
  ws.on('message', (_d, isBinary) => {
    if (isBinary) frames++;
  });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  return { ws, frames: () => frames };
}

async function serverRun(frames: Buffer[], counts: number[]): Promise<void> {
  const srv = await startServer();
  const room = 'bench';
  const cam = new WebSocket(`ws://127.0.0.1:${srv.ws}/ws/${room}?role=broadcaster&key=${streamKey(SECRET, room)}`, { perMessageDeflate: false });
  await new Promise((r, j) => cam.once('open', r).once('error', j));
  let seq = 0;
  const start = performance.now();
  // Paced by the clock, not by setInterval's drift.
  const sender = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * FPS) / 1000);
    while (seq < due) {
      cam.send(encodeFrame(frames[seq % frames.length]!, seq, Date.now()));
      seq++;
    }
  }, 5);
  const monitors = [await countingViewer(srv.ws, room, 'sd'), await countingViewer(srv.ws, room, 'thumb')];
  const raw: { socket: Socket; bytes: () => number }[] = [await rawViewer(srv.ws, room, 'source')];
  const mix = [1, 1, 1];
  out(`## 3. server process, one 720p × ${FPS} fps broadcaster, every tier watched (${(MEASURE_MS / 1000).toFixed(0)} s per step)`);
  out('| viewers | on source/sd/thumb | server CPU total | event loop thread | other threads (sharp, GC) | sd frames/s | thumb frames/s | other-thread CPU ms per sd+thumb frame | sent to raw viewers MB/s |');
  out('|---|---|---|---|---|---|---|---|---|');
  try {
    for (const n of counts) {
      // One viewer on source, the rest on the recompressed tiers (one in ten on sd, the others on
      // thumb, as a grid of small pictures would be), so loopback traffic stays within what this
      // 2-core machine carries next to the server.
      while (raw.length + monitors.length < n) {
        const q = raw.length % 10 === 1 ? 'sd' : 'thumb';
        mix[q === 'sd' ? 1 : 2]!++;
        raw.push(await rawViewer(srv.ws, room, q));
      }
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const c0 = await threadCpu(srv);
      const f0 = monitors.map((m) => m.frames());
      const b0 = raw.reduce((a, v) => a + v.bytes(), 0);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const secs = (performance.now() - t0) / 1000;
      const c1 = await threadCpu(srv);
      const f1 = monitors.map((m) => m.frames());
      const b1 = raw.reduce((a, v) => a + v.bytes(), 0);
      const pct = (x: number) => `${((x / secs) * 100).toFixed(1)}%`;
      const sdFrames = f1[0]! - f0[0]!;
      out(
        `| ${n} | ${mix.join('/')} | ${pct(c1.main - c0.main + c1.other - c0.other)} | ${pct(c1.main - c0.main)} | ${pct(c1.other - c0.other)} | ${(sdFrames / secs).toFixed(1)} | ${((f1[1]! - f0[1]!) / secs).toFixed(1)} | ${(((c1.other - c0.other) * 1000) / Math.max(1, sdFrames)).toFixed(1)} | ${((b1 - b0) / secs / 1e6).toFixed(1)} |`,
      );
    }
  } finally {
    clearInterval(sender);
    for (const v of raw) v.socket.destroy();
    for (const m of monitors) m.ws.terminate();
    cam.terminate();
    srv.proc.kill('SIGTERM');
    await new Promise((r) => srv.proc.once('exit', r));
  }
  out();
}

type Origin = 'none' | 'server' | 'edge';
interface OriginSample {
  cpu: number;
  main: number;
  other: number;
  fps: number[];
}

/**
 * Section 4: one room at a time in one server, 720p × 30 fps, `n` viewers. `none`: all on source
 * (no tier is watched, nothing is encoded); `server`: one each on source, sd and thumb, and beyond
 * three one in ten on sd and the rest on thumb (as in section 3); the broadcaster sends the source
 * only (an old broadcaster: the server recompresses); `edge`: the same viewers, the broadcaster
 * announces sd and thumb and sends them as tier frames with every source frame (made once before
 * the run with sharp, as the camera page makes them in a worker). Three `ws` viewers count frames,
 * the others read and discard. Rounds rotate the order; each figure is the median over rounds,
 * ratios per round.
 */
async function originRun(frames: Buffer[], n: number): Promise<void> {
  const sd = await Promise.all(frames.map((f) => sharpEncoder(f, TIERS[0]!)));
  const thumb = await Promise.all(sd.map((f) => sharpEncoder(f, TIERS[1]!)));
  const srv = await startServer();
  const modes: Origin[] = ['none', 'server', 'edge'];
  const samples = new Map<Origin, OriginSample[]>(modes.map((m) => [m, []]));
  const secs = MEASURE_MS / 1000;
  try {
    for (let r = 0; r < ORIGIN_ROUNDS; r++) {
      for (const mode of [...modes.slice(r % 3), ...modes.slice(0, r % 3)]) {
        const room = `origin-${mode}-${r}`;
        const cam = new WebSocket(`ws://127.0.0.1:${srv.ws}/ws/${room}?role=broadcaster&key=${streamKey(SECRET, room)}`, { perMessageDeflate: false });
        await new Promise((res, rej) => cam.once('message', res).once('error', rej));
        if (mode === 'edge') cam.send(JSON.stringify({ type: 'encoding', tiers: TIERS.map((t) => t.name) }));
        const qualities = Array.from({ length: n }, (_, k) => (mode === 'none' ? 'source' : k < 3 ? ['source', 'sd', 'thumb'][k]! : k % 10 === 1 ? 'sd' : 'thumb'));
        const viewers = await Promise.all(qualities.slice(0, 3).map((q) => countingViewer(srv.ws, room, q)));
        const raw = await Promise.all(qualities.slice(3).map((q) => rawViewer(srv.ws, room, q)));
        let seq = 0;
        const start = performance.now();
        const sender = setInterval(() => {
          const due = Math.floor(((performance.now() - start) * FPS) / 1000);
          while (seq < due) {
            const i = seq % frames.length;
            const at = Date.now();
            cam.send(encodeFrame(frames[i]!, seq, at));
            if (mode === 'edge') {
              cam.send(encodeTierFrame(sd[i]!, 'sd', seq, at));
              cam.send(encodeTierFrame(thumb[i]!, 'thumb', seq, at));
            }
            seq++;
          }
        }, 5);
        await new Promise((res) => setTimeout(res, WARMUP_MS));
        const c0 = await threadCpu(srv);
        const f0 = viewers.map((v) => v.frames());
        await new Promise((res) => setTimeout(res, MEASURE_MS));
        const c1 = await threadCpu(srv);
        const f1 = viewers.map((v) => v.frames());
        clearInterval(sender);
        samples.get(mode)!.push({
          cpu: (c1.main - c0.main + c1.other - c0.other) / secs,
          main: (c1.main - c0.main) / secs,
          other: (c1.other - c0.other) / secs,
          fps: f1.map((f, k) => (f - f0[k]!) / secs),
        });
        for (const v of viewers) v.ws.terminate();
        for (const v of raw) v.socket.destroy();
        cam.close();
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  } finally {
    srv.proc.kill('SIGTERM');
    await new Promise((r) => srv.proc.once('exit', r));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const none = samples.get('none')!;
  const mix = (m: Origin) => (m === 'none' ? `${n} on source` : n === 3 ? 'source, sd, thumb' : `1 source, ${1 + Math.floor((n - 2) / 10)} sd, ${n - 2 - Math.floor((n - 2) / 10)} thumb`);
  out(`## 4. who encodes the tiers: one 720p × ${FPS} fps room, every tier watched, ${n} viewers, one server process (${secs.toFixed(0)} s per step, median of ${ORIGIN_ROUNDS} rotating rounds)`);
  out('| room | viewers | server CPU total | event loop thread | other threads (sharp, GC) | frames/s (source / sd / thumb viewer) | CPU vs no tiers (median, min–max over rounds) |');
  out('|---|---|---|---|---|---|---|');
  const label: Record<Origin, string> = { none: 'no tiers watched', server: 'tiers recompressed by the server', edge: 'tiers sent by the broadcaster (edge)' };
  for (const mode of modes) {
    const xs = samples.get(mode)!;
    const ratios = xs.map((x, k) => x.cpu / none[k]!.cpu);
    const fps = [0, 1, 2].map((k) => median(xs.map((x) => x.fps[k]!)).toFixed(1)).join(' / ');
    out(
      `| ${label[mode]} | ${mix(mode)} | ${pct(median(xs.map((x) => x.cpu)))} | ${pct(median(xs.map((x) => x.main)))} | ${pct(median(xs.map((x) => x.other)))} | ${fps} | ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
    );
  }
  out();
}

out(`load average before the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${availableParallelism()} cores)`);
out();
const frames = cameraFrames(90);
if (ONLY.has('cost')) await perFrameCost(frames);
if (ONLY.has('sd')) await sdVariants(frames);
if (ONLY.has('viewers')) await serverRun(frames, [10, 1000]);
if (ONLY.has('origin')) for (const n of ORIGIN_VIEWERS) await originRun(frames, n);
