import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startBeamcast, type Beamcast } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { streamKey } from '../../src/core/stream-key.js';
import { copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import { ErrorCodes, checkFrame, encodeFrame, readFrameHeader } from '../../src/protocol/index.js';
import { documentedServerTypes } from '../helpers/fake-peer.js';
import { mutated, record } from '../helpers/fuzz.js';
import { binaryMessage, textMessage } from '../helpers/fuzz-messages.js';
import { EXIF_SEGMENT, beforeScan } from '../helpers/jpeg-markers.js';
import { realJpeg, until as waitUntil } from '../helpers/media.js';

// A real server under random and mutated frames, messages and upgrade requests, from broadcasters
// and viewers that reconnect whenever they are closed, while an honest broadcaster streams to an
// honest viewer in another room. `npm run fuzz -- --live-seconds N` runs it longer.

const SECONDS = Number(process.env.FUZZ_LIVE_SECONDS ?? '6');
const SECRET = 'fuzz-live-secret';
const MAX_FRAME = 64 * 1024;
const MAX_TEXT = 4096;
const HONEST_FPS = 20;
const FUZZ_ROOMS = ['fz-a', 'fz-b', 'fz-c'];

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function settledRss(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

interface Stats {
  sent: number;
  opened: number;
  refused: number;
  closes: Map<number, number>;
  errors: Map<string, number>;
  framesIn: number;
  problems: string[];
}

describe('a live server under fuzzed clients', () => {
  let app: Beamcast;
  let dataDir: string;
  const logLines: { level: number; msg: string }[] = [];
  const types = documentedServerTypes();
  const stats: Stats = { sent: 0, opened: 0, refused: 0, closes: new Map(), errors: new Map(), framesIn: 0, problems: [] };
  let wsBase: string;
  let frames: Uint8Array[] = [];
  let texts: Uint8Array[] = [];
  let honestJpegs: Buffer[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'beamcast-fuzz-'));
    const config = loadConfig({
      env: {
        PORT: '0',
        WS_PORT: '0',
        HOST: '127.0.0.1',
        STREAM_SECRET: SECRET,
        DATA_DIR: dataDir,
        // Every fuzzing client comes from one address and reconnects whenever it is closed.
        MAX_CONNECTIONS_PER_IP: '0',
        CONNECT_RATE: '0',
        MAX_FRAME_BYTES: String(MAX_FRAME),
        MAX_TEXT_BYTES: String(MAX_TEXT),
        MAX_FPS: '60',
      },
      argv: [],
      envFile: null,
    });
    // Everything the server logs at warn and above, kept to check that none of it is an error.
    const log = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line) as { level: number; msg: string }) });
    app = await startBeamcast(config, log);
    wsBase = `ws://127.0.0.1:${app.wsPort}`;

    const exif = await realJpeg(64, 48, 1, { exif: true });
    const progressive = await realJpeg(64, 48, 2, { progressive: true });
    const pictures = [exif, beforeScan(progressive, 1, EXIF_SEGMENT)];
    const seed = 20_251_130;
    frames = [
      ...fc.sample(binaryMessage(pictures), { numRuns: 600, seed }),
      ...fc.sample(mutated(fc.constantFrom(...pictures).map((p) => encodeFrame(p, 1, 1))), { numRuns: 400, seed }),
      ...Array<Uint8Array>(10).fill(new Uint8Array(MAX_FRAME + 100)), // FRAME_TOO_LARGE
      ...Array<Uint8Array>(3).fill(new Uint8Array(MAX_FRAME * 2 + 100)), // beyond the transport's limit: closed
    ];
    texts = fc.sample(textMessage(MAX_TEXT), { numRuns: 3000, seed });
    honestJpegs = await Promise.all([0, 1, 2, 3].map((k) => realJpeg(160, 120, k)));
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      stats.framesIn++;
      const check = checkFrame(data);
      const clean = check.ok && copyWithoutMetadata(data, check.headerLen);
      if (!clean || !Buffer.from(clean).equals(data) || data.includes('SecretCam')) stats.problems.push('a relayed frame that is not clean');
      return;
    }
    const m = JSON.parse(data.toString()) as { type: string; code?: string };
    if (!types.has(m.type)) stats.problems.push(`undocumented message type ${m.type}`);
    if (m.type === 'error') {
      if (!Object.hasOwn(ErrorCodes, m.code!)) stats.problems.push(`undocumented error code ${m.code}`);
      stats.errors.set(m.code!, (stats.errors.get(m.code!) ?? 0) + 1);
    }
  }

  /** Opens `url`; resolves with the socket, or null when the upgrade is refused or fails. */
  function open(url: string): Promise<WebSocket | null> {
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch {
        return resolve(null); // not even a URL
      }
      ws.binaryType = 'nodebuffer';
      ws.on('error', () => resolve(null));
      ws.once('unexpected-response', (req, res) => {
        stats.refused++;
        res.resume();
        req.socket?.destroy();
        resolve(null);
      });
      ws.once('open', () => {
        stats.opened++;
        resolve(ws);
      });
    });
  }

  /** One hostile client: connects, sends random messages as fast as its socket drains, reconnects when closed. */
  async function fuzzer(url: string, binaryShare: number, until: number, rand: () => number): Promise<void> {
    while (Date.now() < until) {
      const ws = await open(url);
      if (!ws) continue;
      ws.on('message', onMessage);
      await new Promise<void>((resolve) => {
        ws.on('close', (code) => {
          stats.closes.set(code, (stats.closes.get(code) ?? 0) + 1);
          resolve();
        });
        const pump = (): void => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (Date.now() >= until) return ws.close();
          for (let k = 0; k < 8 && ws.bufferedAmount < 256 * 1024; k++) {
            const binary = rand() < binaryShare;
            const pool = binary ? frames : texts;
            ws.send(pool[Math.floor(rand() * pool.length)]!, { binary });
            stats.sent++;
          }
          setTimeout(pump, 2);
        };
        pump();
      });
    }
  }

  /** Upgrade requests with random rooms and query strings. */
  async function upgrader(until: number, rand: () => number): Promise<void> {
    const room = fc.oneof(fc.constantFrom(...FUZZ_ROOMS), fc.string({ maxLength: 20 }), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,70}$/));
    const query = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(fc.tuple(fc.constantFrom('role', 'key', 'name', 'quality', 'since', 'x'), fc.string({ maxLength: 30 })), { maxLength: 5 }).map((p) => new URLSearchParams(p).toString()),
      fc.constantFrom('role=broadcaster', `role=broadcaster&key=${streamKey(SECRET, 'fz-a')}`, 'quality=thumb', 'since=99999999999999999999'),
    );
    const requests = fc.sample(fc.tuple(room, query, fc.boolean()), { numRuns: 400, seed: Math.floor(rand() * 1e9) });
    for (let i = 0; Date.now() < until; i++) {
      const [r, q, encode] = requests[i % requests.length]!;
      const ws = await open(`${wsBase}/ws/${encode ? encodeURIComponent(r) : r}?${q}`);
      if (ws) {
        ws.on('message', onMessage);
        ws.send(texts[i % texts.length]!);
        ws.close();
      }
    }
  }

  it('keeps serving an honest viewer in another room, never logs an error, and settles its memory', async () => {
    // The honest pair.
    const honestCam = await open(`${wsBase}/ws/honest?role=broadcaster&key=${streamKey(SECRET, 'honest')}`);
    const honestViewer = await open(`${wsBase}/ws/honest`);
    assert.ok(honestCam && honestViewer);
    const received = new Set<number>();
    honestViewer.on('message', (data: Buffer, isBinary) => {
      if (isBinary) received.add(readFrameHeader(data).seq);
    });
    let seq = 0;
    const sentDuringFuzz: number[] = [];
    let fuzzing = false;
    const camTimer = setInterval(() => {
      seq++;
      if (fuzzing) sentDuringFuzz.push(seq);
      honestCam.send(encodeFrame(honestJpegs[seq % honestJpegs.length]!, seq, Date.now()));
    }, 1000 / HONEST_FPS);

    try {
      await waitUntil(() => received.size > 0, 'the honest stream flows before the fuzz');
      const rssBefore = settledRss();

      fuzzing = true;
      const until = Date.now() + SECONDS * 1000;
      let s = 1;
      const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
      const loops: Promise<void>[] = [];
      for (const room of FUZZ_ROOMS) {
        const key = streamKey(SECRET, room);
        loops.push(fuzzer(`${wsBase}/ws/${room}?role=broadcaster&key=${key}`, 0.7, until, rand));
        for (const quality of ['source', 'sd', 'thumb']) loops.push(fuzzer(`${wsBase}/ws/${room}?quality=${quality}`, 0.1, until, rand));
      }
      // A second broadcaster of one room: the two keep taking it over from each other.
      loops.push(fuzzer(`${wsBase}/ws/fz-a?role=broadcaster&key=${streamKey(SECRET, 'fz-a')}`, 0.7, until, rand));
      loops.push(upgrader(until, rand));
      await Promise.all(loops);
      fuzzing = false;
      record('live-server messages', stats.sent);

      // The honest viewer got a high share of the frames sent during the fuzz. Frames are relayed
      // in order: once one sent after the fuzz arrives, every earlier one has arrived or was skipped.
      const last = seq;
      await waitUntil(() => [...received].some((k) => k > last), 'a frame sent after the fuzz');
      const got = sentDuringFuzz.filter((k) => received.has(k)).length;
      const share = got / sentDuringFuzz.length;
      assert.ok(sentDuringFuzz.length >= SECONDS * HONEST_FPS * 0.5, `the honest camera kept sending (${sentDuringFuzz.length})`);
      assert.ok(share >= 0.8, `honest viewer got ${got} of ${sentDuringFuzz.length} frames`);

      // The fuzz did reach the server's checks.
      assert.deepEqual(stats.problems.slice(0, 5), []);
      assert.ok(stats.sent > 2000, `sent ${stats.sent}`);
      assert.ok(stats.framesIn > 0 && stats.refused > 0 && stats.opened > 20, JSON.stringify({ ...stats, closes: [...stats.closes], errors: [...stats.errors] }));
      for (const code of ['BAD_JSON', 'FRAME_NOT_JPEG', 'FRAME_UNSAFE', 'FRAME_TOO_LARGE']) assert.ok(stats.errors.has(code), `some ${code}`);
      assert.ok(stats.closes.has(4500), 'strikes closed some connections');

      // No error logged; the server still answers.
      const errors = logLines.filter((l) => l.level >= 50);
      assert.deepEqual(errors, []);
      const health = await fetch(`http://127.0.0.1:${app.httpPort}/healthz`);
      assert.equal(health.status, 200);
      await waitUntil(() => app.ws.connections === 2, 'only the honest pair is left');
      assert.equal(app.ws.bufferedBytes(), 0);

      const rssAfter = settledRss();
      const grownMb = (rssAfter - rssBefore) / 2 ** 20;
      assert.ok(grownMb < 96, `RSS grew ${grownMb.toFixed(1)} MB`);
    } finally {
      clearInterval(camTimer);
      honestCam.close();
      honestViewer.close();
    }
  }, (SECONDS + 30) * 1000);
});
