import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { jpegInfo, until } from '../helpers/media.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** ffmpeg's own MJPEG output piped into the publish CLI; resolves with the CLI's exit code and stderr. */
function ffmpegIntoPublish(
  format: 'mjpeg' | 'mpjpeg',
  cliArgs: string[],
  opts: { realtime?: boolean; onLog?: (log: string) => void } = {},
): Promise<{ code: number | null; log: string }> {
  const input = [...(opts.realtime ? ['-re'] : []), '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10'];
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

  it('gives up with a clear message on a wrong key', async () => {
    const { code, log } = await ffmpegIntoPublish('mjpeg', ['--room', 'cli3', '--key', 'wrong', '--ws-url', wsBase()]);
    assert.equal(code, 1);
    assert.match(log, /401 BAD_KEY/);
  });

  it('keeps retrying with backoff until the server is reachable', async () => {
    // A port that was free a moment ago: the server is started on it once the CLI has failed.
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
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
});
