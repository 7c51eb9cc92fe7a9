import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../helpers/binaries.js';
import { ensureBuilt } from '../helpers/ensure-built.js';
import { CountingEncoder, jpegInfo, realJpeg, until } from '../helpers/media.js';
import { TEST_SECRET, startTestServer, type TestServer } from '../helpers/test-server.js';
import { mintOverHttp, setPrivate } from '../helpers/room-admin.js';
import { TestClient } from '../helpers/ws-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builtCli = join(root, 'dist/cli/publish.js');

/** A port nothing listens on (free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/** A directory holding `frames.mjpeg` (n real 320x240 JPEGs back to back); removed by `rm()`. */
async function mjpegDir(n: number): Promise<{ dir: string; file: string; rm(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-publish-'));
  const file = join(dir, 'frames.mjpeg');
  const frames = [];
  for (let i = 0; i < n; i++) frames.push(await realJpeg(320, 240, i));
  writeFileSync(file, Buffer.concat(frames));
  return { dir, file, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The built CLI run in `cwd` with only `env` (no settings of this machine); resolves at exit. */
function runBuiltCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; log: string }> {
  ensureBuilt();
  const cli = spawn(process.execPath, [builtCli, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  cli.stderr.on('data', (c: Buffer) => (log += c.toString()));
  return new Promise((resolve) => cli.on('close', (code) => resolve({ code, log })));
}

/** ffmpeg's own MJPEG output piped into the publish CLI; resolves with the CLI's exit code and stderr. */
function ffmpegIntoPublish(
  format: 'mjpeg' | 'mpjpeg',
  cliArgs: string[],
  opts: { realtime?: boolean; onLog?: (log: string) => void; size?: string } = {},
): Promise<{ code: number | null; log: string }> {
  const input = [...(opts.realtime ? ['-re'] : []), '-f', 'lavfi', '-i', `testsrc=size=${opts.size ?? '320x240'}:rate=10`];
  // A live (-re) source runs longer, so it is still sending while the CLI backs off and retries.
  const seconds = opts.realtime ? '6' : '2';
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...input, '-t', seconds, '-f', format, '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli/publish.ts', ...cliArgs, '-'], { cwd: root, stdio: ['pipe', 'ignore', 'pipe'] });
  ff.stdout.pipe(cli.stdin);
  let log = '';
  cli.stderr.on('data', (c: Buffer) => {
    log += c.toString();
    opts.onLog?.(log);
  });
  return new Promise((resolve) => cli.on('close', (code) => resolve({ code, log })));
}

describe('publish CLI', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const wsBase = () => `ws://127.0.0.1:${server.wsPort}`;

  it('publishes ffmpeg -f mjpeg output, every frame at --fps, and exits at end of input', async () => {
    const viewer = await TestClient.connect(server.wsUrl('cli'));
    await viewer.nextText('history');
    const { code, log } = await ffmpegIntoPublish('mjpeg', ['--room', 'cli', '--key', server.key('cli'), '--ws-url', wsBase(), '--fps', '25']);
    assert.equal(code, 0, log);
    assert.match(log, /20 frames sent, 0 dropped/);
    const frames = viewer.frames();
    assert.deepEqual(
      frames.map((f) => f.seq),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(await jpegInfo(frames[19]!.bytes.subarray(24)), { width: 320, height: 240, hasExif: false });
    await viewer.close();
  });

  it('publishes ffmpeg -f mpjpeg (multipart) output as it arrives', async () => {
    const viewer = await TestClient.connect(server.wsUrl('cli2', { quality: 'thumb' }));
    await viewer.nextText('history');
    const { code, log } = await ffmpegIntoPublish('mpjpeg', ['--room', 'cli2', '--key', server.key('cli2'), '--ws-url', wsBase()]);
    assert.equal(code, 0, log);
    const f = await viewer.nextFrame();
    assert.deepEqual(await jpegInfo(f.bytes.subarray(24)), { width: 160, height: 120, hasExif: false });
    await viewer.close();
  });

  it('broadcasts with a token that grants publish instead of the key, to a private room', async () => {
    await setPrivate(server.httpUrl(''), 'cli-token', server.key('cli-token'), true);
    const publish = await mintOverHttp(server.httpUrl(''), 'cli-token', server.key('cli-token'), ['publish']);
    const watch = await mintOverHttp(server.httpUrl(''), 'cli-token', server.key('cli-token'), ['watch']);
    const viewer = await TestClient.connect(server.wsUrl('cli-token', { token: watch }));
    await viewer.nextText('history');
    const { code, log } = await ffmpegIntoPublish('mjpeg', ['--room', 'cli-token', '--token', publish, '--ws-url', wsBase(), '--fps', '25']);
    assert.equal(code, 0, log);
    assert.match(log, /20 frames sent/);
    assert.ok(!log.includes(publish), 'the token is not printed');
    assert.equal(viewer.frames().length, 20);
    await viewer.close();
    const refused = await ffmpegIntoPublish('mjpeg', ['--room', 'cli-token', '--token', watch, '--ws-url', wsBase()]);
    assert.equal(refused.code, 1);
    assert.match(refused.log, /403 NOT_ALLOWED/);
  });

  it('gives up with a clear message on a wrong key', async () => {
    const { code, log } = await ffmpegIntoPublish('mjpeg', ['--room', 'cli3', '--key', 'wrong', '--ws-url', wsBase()]);
    assert.equal(code, 1);
    assert.match(log, /401 BAD_KEY/);
  });

  it('keeps retrying with backoff until the server is reachable', async () => {
    // A port that was free a moment ago: the server is started on it once the CLI has failed.
    const port = await closedPort();
    let log = '';
    const done = ffmpegIntoPublish('mjpeg', ['--room', 'late', '--key', server.key('late'), '--ws-url', `ws://127.0.0.1:${port}`], {
      realtime: true,
      onLog: (l) => (log = l),
    });
    await until(() => /retrying in/.test(log), 'a failed attempt', 5000);
    const second = await startTestServer({ wsPort: String(port) });
    try {
      const viewer = await TestClient.connect(second.wsUrl('late'));
      await viewer.nextText('history');
      const f = await viewer.nextFrame(10_000);
      assert.equal((await jpegInfo(f.bytes.subarray(24))).width, 320);
      assert.equal((await done).code, 0);
      await viewer.close();
    } finally {
      await second.stop();
    }
  });

  it('takes its defaults from the server settings: WS_PORT and HOST from .env, the key from the secret in DATA_DIR', async () => {
    const input = await mjpegDir(10);
    try {
      // What a server started in this directory would use: its .env, and the secret it keeps in DATA_DIR.
      writeFileSync(join(input.dir, '.env'), `WS_PORT=${server.wsPort}\nHOST=127.0.0.1\n`);
      mkdirSync(join(input.dir, 'data'));
      writeFileSync(join(input.dir, 'data', 'stream-secret'), `${TEST_SECRET}\n`);
      const viewer = await TestClient.connect(server.wsUrl('defaults'));
      await viewer.nextText('history');
      const { code, log } = await runBuiltCli(['--room', 'defaults', '--fps', '30', input.file], input.dir, { DATA_DIR: './data' });
      assert.equal(code, 0, log);
      assert.match(log, new RegExp(`to ws://127\\.0\\.0\\.1:${server.wsPort}/ws/defaults`));
      assert.match(log, /10 frames sent, 0 dropped/);
      await until(() => viewer.frames().length === 10, 'ten frames at the viewer', 5000);
      await viewer.close();
      // Without a key and without a secret to derive one from, it says what to do.
      const noKey = await runBuiltCli(['--room', 'defaults', input.file], input.dir, { DATA_DIR: './nowhere' });
      assert.equal(noKey.code, 2);
      assert.match(noKey.log, /--key is required: there is no STREAM_SECRET and no secret kept in DATA_DIR/);
    } finally {
      input.rm();
    }
  });

  it('exits non-zero and says why when no server answered and nothing was sent', async () => {
    const input = await mjpegDir(3);
    try {
      const port = await closedPort();
      const { code, log } = await runBuiltCli(['--room', 'nobody', '--key', 'k', '--ws-url', `ws://127.0.0.1:${port}`, input.file], input.dir);
      assert.equal(code, 1, log);
      assert.match(log, new RegExp(`nothing was sent: no server answered at ws://127\\.0\\.0\\.1:${port}`));
    } finally {
      input.rm();
    }
  });

  // `script` runs the CLI on a pseudo-terminal, as a person would see it.
  it.skipIf(!findBinary('script'))('shows a live status line on a terminal: sent, dropped, fps, kbit/s and viewers', async () => {
    const input = await mjpegDir(30);
    const viewer = await TestClient.connect(server.wsUrl('tty'));
    await viewer.nextText('history');
    try {
      const cmd = [process.execPath, builtCli, '--room', 'tty', '--key', server.key('tty'), '--ws-url', wsBase(), '--fps', '15', input.file].join(' ');
      ensureBuilt();
      const tty = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: input.dir, env: { PATH: process.env.PATH ?? '', TERM: 'dumb' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      tty.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise((resolve) => tty.on('close', resolve));
      assert.equal(code, 0, out);
      // Redrawn in place: carriage return and erase-line before each state.
      const lines = out.split('\r\x1b[K').map((l) => l.split(/\r?\n/)[0]!.trim()).filter((l) => /^live · /.test(l));
      assert.ok(lines.length >= 2, `several status updates:\n${JSON.stringify(out)}`);
      assert.match(lines[lines.length - 1]!, /^live · sent 30 · dropped 0 · [\d.]+ fps · \d+ kbit\/s · 1 viewer$/);
      assert.ok(lines.some((l) => /· 1[0-9]\.\d fps · [1-9]\d* kbit\/s/.test(l)), `about 15 fps while sending:\n${lines.join('\n')}`);
      assert.match(out, /end of input: 30 frames sent/);
    } finally {
      await viewer.close();
      input.rm();
    }
  });

  it('prints no status line when its output is not a terminal', async () => {
    const input = await mjpegDir(5);
    try {
      const { code, log } = await runBuiltCli(['--room', 'plain', '--key', server.key('plain'), '--ws-url', wsBase(), input.file], input.dir);
      assert.equal(code, 0, log);
      assert.doesNotMatch(log, /\r|\x1b\[/);
    } finally {
      input.rm();
    }
  });
});

describe('publish --tiers', () => {
  let server: TestServer;
  const encoder = new CountingEncoder();
  beforeAll(async () => {
    server = await startTestServer({}, { jpegEncoder: encoder.encode });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('encodes the tiers viewers watch with sharp and sends them with each frame, so the server encodes none', async () => {
    const viewers = await Promise.all(['source', 'sd', 'thumb'].map((quality) => TestClient.connect(server.wsUrl('edge', { quality }))));
    for (const v of viewers) await v.nextText('history');
    const [src, sd, thumb] = viewers as [TestClient, TestClient, TestClient];
    const args = ['--room', 'edge', '--key', server.key('edge'), '--ws-url', `ws://127.0.0.1:${server.wsPort}`, '--fps', '10', '--tiers'];
    const { code, log } = await ffmpegIntoPublish('mjpeg', args, { size: '1280x720' });
    assert.equal(code, 0, log);
    assert.match(log, /encoding tiers here: sd, thumb/);
    assert.match(log, /20 frames sent, 0 dropped/);
    const tierFrames = Number(/(\d+) tier frames sent/.exec(log)?.[1]);
    assert.ok(tierFrames >= 30, `tier frames for most of the 20 frames: ${log}`);
    await until(() => src.frames().length === 20, 'every source frame', 5000);
    assert.ok(sd.frames().length >= 15 && thumb.frames().length >= 15, `${sd.frames().length} sd and ${thumb.frames().length} thumb frames`);
    for (const f of sd.frames()) assert.deepEqual(await jpegInfo(f.bytes.subarray(24)), { width: 640, height: 360, hasExif: false });
    for (const f of thumb.frames()) assert.deepEqual(await jpegInfo(f.bytes.subarray(24)), { width: 160, height: 90, hasExif: false });
    const seqs = new Set(src.frames().map((f) => f.seq));
    assert.ok(sd.frames().every((f) => seqs.has(f.seq)), 'tier frames carry their source frame\'s seq');
    assert.equal(encoder.total, 0, 'the server encoded nothing');
    await Promise.all(viewers.map((v) => v.close()));
  });

  it('encodes nothing while nobody watches a tier', async () => {
    const src = await TestClient.connect(server.wsUrl('idle-tiers'));
    await src.nextText('history');
    const args = ['--room', 'idle-tiers', '--key', server.key('idle-tiers'), '--ws-url', `ws://127.0.0.1:${server.wsPort}`, '--fps', '10', '--tiers'];
    const { code, log } = await ffmpegIntoPublish('mjpeg', args);
    assert.equal(code, 0, log);
    assert.match(log, /, 0 tier frames sent/);
    assert.doesNotMatch(log, /encoding tiers here/);
    await src.close();
  });
});
