// Abuse benchmark for the HTTP side and room creation: npm run bench:abuse-http -- [options]
//
// 1. Deaf MJPEG clients: a live room (one broadcaster at 15 fps, one honest WebSocket viewer),
//    then N clients from one address open stream.mjpg, read the status line and never read again.
//    Reported: streams accepted and refused, server RSS (after a full GC) before, while they hold
//    and after HTTP_IDLE_TIMEOUT, kernel TCP memory (/proc/net/sockstat, the whole machine: on
//    loopback both ends' buffers count) and the frames the honest viewer got.
// 2. Room spam: N WebSocket viewers of N made-up room names from one address
//    (MAX_CONNECTIONS_PER_IP=0: one address stands for many). Reported: accepted and refused,
//    /api/rooms size, RSS while they are connected and after they left.
//
// `--entry <dist/server/main.js>` runs another build (e.g. an older checkout's) with the same
// load, so before and after compare on one machine.
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { encodeFrame } from '../src/protocol/index.js';
import { generatedJpegs } from './jpeg-frames.js';
import { procProbe } from './server-probe.js';
import { spawnTarget, type SpawnedTarget } from './spawn-target.js';

interface Options {
  entry?: string;
  label: string;
  mjpeg: number;
  rooms: number;
  frameKb: number;
  holdSec: number;
  idleSec: number;
  json?: string;
}

const FPS = 15;
const MB = 1024 * 1024;

function parseArgs(argv: string[]): Options {
  const o: Options = { label: 'this checkout', mjpeg: 300, rooms: 3000, frameKb: 100, holdSec: 10, idleSec: 10 };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    const num = () => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k} needs a number`);
      i++;
      return n;
    };
    if (k === '--entry') (o.entry = resolve(v!)), i++;
    else if (k === '--label') (o.label = v!), i++;
    else if (k === '--json') (o.json = v!), i++;
    else if (k === '--mjpeg') o.mjpeg = num();
    else if (k === '--rooms') o.rooms = num();
    else if (k === '--frame-kb') o.frameKb = num();
    else if (k === '--hold') o.holdSec = num();
    else if (k === '--idle') o.idleSec = num();
    else throw new Error(`unknown option ${k}; options: --entry FILE --label TEXT --mjpeg N --rooms N --frame-kb N --hold S --idle S --json FILE`);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes the kernel holds for TCP sockets, machine-wide (the `mem` pages of /proc/net/sockstat). */
function kernelTcpBytes(): number | null {
  const m = /^TCP:.*\bmem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) * 4096 : null;
}

async function rss(target: SpawnedTarget): Promise<number> {
  await target.collectGarbage();
  return (await procProbe(target.pid).sample()).rssBytes ?? NaN;
}

function connectWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', reject);
  });
}

/** Requests stream.mjpg, takes the first chunk (status line) and then never reads again. */
function deafStream(host: string, port: number, path: string): Promise<{ status: number; sock: net.Socket }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    sock.on('error', () => {});
    sock.once('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    sock.once('data', (chunk: Buffer) => {
      sock.pause();
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1] ?? 0), sock });
    });
    sock.once('close', () => reject(new Error('closed before answering')));
  });
}

async function streamViewers(target: SpawnedTarget, room: string): Promise<number> {
  const res = await fetch(`http://${target.host}:${target.httpPort}/api/rooms/${room}`);
  return ((await res.json()) as { viewers: number }).viewers;
}

interface MjpegResult {
  case: string;
  env: Record<string, string>;
  accepted: number;
  refused: Record<string, number>;
  rssBaseMb: number;
  rssHoldingMb: number;
  rssAfterIdleMb: number;
  kernelTcpDeltaMb: number | null;
  /** Streams the server still served while they held, and after HTTP_IDLE_TIMEOUT (its viewer count, less the honest one). */
  openWhileHolding: number;
  stillOpenAfterIdle: number;
  honestFrames: number;
  framesSent: number;
}

async function mjpegCase(o: Options, name: string, env: Record<string, string>): Promise<MjpegResult> {
  const target = await spawnTarget('beamcast', { entry: o.entry, env: { HTTP_IDLE_TIMEOUT: String(o.idleSec), ...env }, maxFrameBytes: 4 * MB, maxFps: 30, chatRate: 1 });
  const sockets: net.Socket[] = [];
  const room = 'abuse';
  let cam: WebSocket | null = null;
  let honest: WebSocket | null = null;
  let pump: NodeJS.Timeout | null = null;
  try {
    const jpegs = await generatedJpegs(o.frameKb * 1000);
    cam = await connectWs(`ws://${target.host}:${target.wsPort}/ws/${room}?role=broadcaster&key=${target.key(room)}`);
    honest = await connectWs(`ws://${target.host}:${target.wsPort}/ws/${room}`);
    // Frames by seq: those the broadcaster sent while the streams were open.
    const honestSeqs: number[] = [];
    honest.on('message', (d: Buffer, isBinary) => {
      if (isBinary) honestSeqs.push(d.readUInt32LE(4));
    });
    let seq = 0;
    pump = setInterval(() => cam!.send(encodeFrame(jpegs[seq % jpegs.length]!, seq++, Date.now())), 1000 / FPS);
    await sleep(1500);
    const rssBase = await rss(target);
    const kernelBase = kernelTcpBytes();
    const framesBefore = seq;
    const refused: Record<string, number> = {};
    let accepted = 0;
    for (let i = 0; i < o.mjpeg; i += 50) {
      const batch = await Promise.allSettled(
        Array.from({ length: Math.min(50, o.mjpeg - i) }, () => deafStream(target.host, target.httpPort!, `/api/rooms/${room}/stream.mjpg`)),
      );
      for (const b of batch) {
        if (b.status !== 'fulfilled') {
          refused.error = (refused.error ?? 0) + 1;
          continue;
        }
        sockets.push(b.value.sock);
        if (b.value.status === 200) accepted++;
        else refused[b.value.status] = (refused[b.value.status] ?? 0) + 1;
      }
    }
    await sleep(o.holdSec * 1000);
    const rssHolding = await rss(target);
    const openWhileHolding = (await streamViewers(target, room)) - 1;
    const kernelHolding = kernelTcpBytes();
    const framesAfter = seq;
    const framesSent = framesAfter - framesBefore;
    const honestGot = new Set(honestSeqs.filter((q) => q >= framesBefore && q < framesAfter)).size;
    // HTTP_IDLE_TIMEOUT later (plus a margin), a server that drops stalled clients has let them go.
    await sleep((o.idleSec + 3) * 1000);
    const rssAfter = await rss(target);
    const stillOpen = (await streamViewers(target, room)) - 1;
    return {
      case: name,
      env,
      accepted,
      refused,
      rssBaseMb: rssBase / MB,
      rssHoldingMb: rssHolding / MB,
      rssAfterIdleMb: rssAfter / MB,
      kernelTcpDeltaMb: kernelBase === null || kernelHolding === null ? null : (kernelHolding - kernelBase) / MB,
      openWhileHolding,
      stillOpenAfterIdle: stillOpen,
      honestFrames: honestGot,
      framesSent,
    };
  } finally {
    if (pump) clearInterval(pump);
    for (const s of sockets) s.destroy();
    cam?.terminate();
    honest?.terminate();
    await target.stop();
  }
}

interface Wave {
  accepted: number;
  refused: Record<string, number>;
  /** /api/rooms while the wave is connected: rooms listed, bytes. */
  listed: number;
  listBytes: number;
  rssConnectedMb: number;
  /** After the wave closed its sockets. */
  listedAfter: number;
  rssAfterMb: number;
}

interface RoomsResult {
  perWave: number;
  rssBaseMb: number;
  waves: Wave[];
}

/**
 * Two waves of viewers of made-up rooms, one after the other: the first pays one-time growth
 * (heap spaces sized up by the burst), so the second shows what such connections cost, and
 * whether what the first left behind (rooms kept for ROOM_TTL) adds up.
 */
async function roomsCase(o: Options): Promise<RoomsResult> {
  const target = await spawnTarget('beamcast', { entry: o.entry, env: { MAX_CONNECTIONS_PER_IP: '0', CONNECT_RATE: '0' }, maxFrameBytes: MB, maxFps: 30, chatRate: 1 });
  const open: WebSocket[] = [];
  const list = async () => {
    const text = await (await fetch(`http://${target.host}:${target.httpPort}/api/rooms`)).text();
    return { rooms: (JSON.parse(text) as { rooms: unknown[] }).rooms.length, bytes: text.length };
  };
  try {
    const rssBase = await rss(target);
    const waves: Wave[] = [];
    for (const wave of [1, 2]) {
      const refused: Record<string, number> = {};
      for (let i = 0; i < o.rooms; i += 100) {
        const batch = await Promise.allSettled(
          Array.from({ length: Math.min(100, o.rooms - i) }, (_, k) => connectWs(`ws://${target.host}:${target.wsPort}/ws/made-up-${wave}-${i + k}`)),
        );
        for (const b of batch) {
          if (b.status === 'fulfilled') open.push(b.value);
          else {
            const status = String((b.reason as { status?: number }).status ?? 'error');
            refused[status] = (refused[status] ?? 0) + 1;
          }
        }
      }
      await sleep(1000);
      const connected = await list();
      const rssConnected = await rss(target);
      const accepted = open.length;
      await Promise.all(open.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
      open.length = 0;
      await sleep(1000);
      const after = await list();
      waves.push({
        accepted,
        refused,
        listed: connected.rooms,
        listBytes: connected.bytes,
        rssConnectedMb: rssConnected / MB,
        listedAfter: after.rooms,
        rssAfterMb: (await rss(target)) / MB,
      });
    }
    return { perWave: o.rooms, rssBaseMb: rssBase / MB, waves };
  } finally {
    for (const ws of open) ws.terminate();
    await target.stop();
  }
}

const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const out = (line = '') => process.stdout.write(line + '\n');
  out(`# abuse: HTTP and rooms (${o.label}${o.entry ? `: ${o.entry}` : ''})`);
  out();
  out(`## ${o.mjpeg} MJPEG clients from one address that never read (frames ~${o.frameKb} KB at ${FPS} fps, HTTP_IDLE_TIMEOUT=${o.idleSec})`);
  out();
  out('| case | accepted | refused | RSS base MB | holding: open, RSS MB (Δ) | kernel TCP Δ MB | after idle timeout: open, RSS MB | honest viewer frames |');
  out('|---|---|---|---|---|---|---|---|');
  const mjpeg: MjpegResult[] = [];
  for (const [name, env] of [
    ['defaults (MAX_CONNECTIONS_PER_IP=64)', { MAX_CONNECTIONS_PER_IP: '64' }],
    ['MAX_CONNECTIONS_PER_IP=0, VIDEO_MAX_BUFFERED=1048576', { MAX_CONNECTIONS_PER_IP: '0', VIDEO_MAX_BUFFERED: String(MB) }],
  ] as const) {
    const r = await mjpegCase(o, name, env);
    mjpeg.push(r);
    const refused = Object.entries(r.refused).map(([k, v]) => `${v} × ${k}`).join(', ') || '0';
    out(
      `| ${name} | ${r.accepted} | ${refused} | ${f1(r.rssBaseMb)} | ${r.openWhileHolding}, ${f1(r.rssHoldingMb)} (+${f1(r.rssHoldingMb - r.rssBaseMb)}) | ${r.kernelTcpDeltaMb === null ? '–' : f1(r.kernelTcpDeltaMb)} | ${r.stillOpenAfterIdle}, ${f1(r.rssAfterIdleMb)} | ${r.honestFrames} of ${r.framesSent} (${((100 * r.honestFrames) / Math.max(1, r.framesSent)).toFixed(1)}%) |`,
    );
  }
  out();
  out(`## ${o.rooms} WebSocket viewers of made-up rooms from one address (MAX_CONNECTIONS_PER_IP=0), twice`);
  out();
  const r = await roomsCase(o);
  out(`RSS with no client: ${f1(r.rssBaseMb)} MB.`);
  out();
  out('| wave | accepted | refused | while connected: /api/rooms, RSS MB (Δ to before the wave) | after they left: /api/rooms, RSS MB |');
  out('|---|---|---|---|---|');
  let before = r.rssBaseMb;
  r.waves.forEach((w, i) => {
    const refused = Object.entries(w.refused).map(([k, v]) => `${v} × ${k}`).join(', ') || '0';
    out(
      `| ${i + 1} | ${w.accepted} | ${refused} | ${w.listed} rooms (${f1(w.listBytes / 1024)} KB), ${f1(w.rssConnectedMb)} (+${f1(w.rssConnectedMb - before)}) | ${w.listedAfter} rooms, ${f1(w.rssAfterMb)} |`,
    );
    before = w.rssAfterMb;
  });
  if (o.json) writeFileSync(o.json, JSON.stringify({ label: o.label, entry: o.entry ?? null, mjpeg, rooms: r }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:abuse-http: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
