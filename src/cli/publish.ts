// Publishes an MJPEG byte stream to a room as its broadcaster:
//   ffmpeg -f v4l2 -i /dev/video0 -f mjpeg -q:v 5 - | npm run publish -- --room lab
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { FramePublisher } from '../ingest/frame-publisher.js';
import { JpegSplitter } from '../ingest/jpeg-splitter.js';
import { PUBLISH_USAGE, UsageError, parsePublishArgs, type PublishOptions } from '../ingest/publish-options.js';
import { StatusLine } from '../ingest/status-line.js';
import { TierPublisher } from '../ingest/tier-publisher.js';

// How often the terminal status line is redrawn.
const STATUS_INTERVAL_MS = 500;

function fail(message: string, code = 2): never {
  status?.end();
  process.stderr.write(`publish: ${message}\n`);
  process.exit(code);
}

let status: StatusLine | null = null;
let opts: PublishOptions | null;
try {
  // The entry point is the one place that reads the environment, as the server's is.
  opts = parsePublishArgs(process.argv.slice(2), process.env, '.env');
} catch (err) {
  if (err instanceof UsageError) fail(`${err.message}\n${PUBLISH_USAGE}`);
  throw err;
}
if (opts === null) {
  process.stdout.write(PUBLISH_USAGE);
  process.exit(0);
}
const { room, key, token, wsBase, fps, name, input } = opts;

const query = new URLSearchParams(token === null ? { role: 'broadcaster', key, name } : { role: 'broadcaster', token, name });
const url = `${wsBase}/ws/${room}?${query}`;
// On a terminal, a live status line; in a log (pipe, file, service manager), plain lines only.
status = process.stderr.isTTY ? new StatusLine(process.stderr) : null;
const log = (line: string) => (status ? status.log(`publish: ${line}`) : process.stderr.write(`publish: ${line}\n`));

// sharp is loaded only for --tiers: publishing as sent needs no image library.
const tiers = opts.tiers ? new TierPublisher((await import('../media/jpeg-encoder.js')).sharpEncoder, log) : undefined;
const publisher = new FramePublisher({
  url,
  fps,
  log,
  tiers,
  onFatal: (message) => {
    stream.destroy();
    fail(message, 1);
  },
});
const splitter = new JpegSplitter();
const stream: Readable = input === '-' ? process.stdin : createReadStream(input);

const showStatus = () =>
  status?.update({
    state: publisher.state,
    sent: publisher.sent,
    dropped: publisher.dropped,
    bytes: publisher.bytes,
    viewers: publisher.viewers,
    ...(tiers ? { tiers: tiers.encoding, tierBytes: tiers.bytes } : {}),
  });
const statusTimer = status ? setInterval(showStatus, STATUS_INTERVAL_MS) : null;

/** Exit status: 0 when frames went out; 1 when nothing could be sent, with the likely reason. */
function finishWith(summary: string): never {
  if (statusTimer) clearInterval(statusTimer);
  showStatus();
  status?.end();
  process.stderr.write(`publish: ${summary}\n`);
  if (publisher.sent > 0) process.exit(0);
  if (!publisher.everConnected) {
    fail(`nothing was sent: no server answered at ${wsBase}. Is beamcast running there? Its port is WS_PORT (or give --ws-url).`, 1);
  }
  fail('nothing was sent: the input held no complete JPEG (ffmpeg -f mjpeg or -f mpjpeg writes them).', 1);
}

stream.on('error', (err) => fail(`cannot read ${input}: ${err.message}`, 1));
stream.on('data', (chunk: Buffer) => {
  for (const jpeg of splitter.push(chunk)) publisher.push(jpeg);
  if (!publisher.wantsMore) {
    stream.pause();
    void publisher.waitForRoom().then(() => stream.resume());
  }
});
stream.on('end', () => {
  splitter.end();
  void publisher.finish().then(() =>
    finishWith(
      `end of input: ${publisher.sent} frames sent, ${publisher.dropped} dropped, ${splitter.stats.discarded} broken pictures skipped` +
        (tiers ? `, ${tiers.sent} tier frames sent (${tiers.skipped} frames without tiers: still encoding)` : ''),
    ),
  );
});

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  publisher.stop();
  finishWith(`stopped: ${publisher.sent} frames sent, ${publisher.dropped} dropped`);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

log(`publishing ${input === '-' ? 'stdin' : input} to ${wsBase}/ws/${room}${fps > 0 ? ` at ${fps} fps` : ''}${opts.keySource === 'secret' ? ' (key derived from the stream secret)' : ''}`);
publisher.start();
