// Media pipeline benchmark: npm run bench:media
//
// 1. CPU per input frame: one 720p camera-like JPEG → sd + thumb with sharp, in this process.
// 2. A real server (dist/server/main.js, its own process) fed 720p × 30 fps by one broadcaster,
//    with every tier watched, measured with 10 and then 1000 WebSocket viewers in the same run.
//    Server CPU is read from /proc per thread: the event loop (relay, fan-out) and the other
//    threads (sharp's encodes on libuv's pool, GC helpers), so the media share is visible apart.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
import { encodeFrame } from '../src/protocol/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FPS = 30;
const ROUNDS = 5;
const WARMUP_MS = 3000;
const MEASURE_MS = Number(process.argv[2] ?? 10_000);
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
/** CPU seconds of a process so far, its main (event loop) thread apart from the others. */
function threadCpu(pid: number): ThreadCpu {
  const r = { main: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // thread ended
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const secs = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks
    if (Number(tid) === pid) r.main += secs;
    else r.other += secs;
  }
  return r;
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
      const c0 = threadCpu(srv.proc.pid!);
      const f0 = monitors.map((m) => m.frames());
      const b0 = raw.reduce((a, v) => a + v.bytes(), 0);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, MEASURE_MS));
      const secs = (performance.now() - t0) / 1000;
      const c1 = threadCpu(srv.proc.pid!);
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

out(`load average before the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (${availableParallelism()} cores)`);
out();
const frames = cameraFrames(90);
await perFrameCost(frames);
await sdVariants(frames);
await serverRun(frames, [10, 1000]);
