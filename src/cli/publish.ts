// Publishes an MJPEG byte stream to a room as its broadcaster:
//   ffmpeg -f v4l2 -i /dev/video0 -f mjpeg -q:v 5 - | npm run publish -- --room lab --key KEY
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { FramePublisher } from '../ingest/frame-publisher.js';
import { JpegSplitter } from '../ingest/jpeg-splitter.js';
import { isValidRoomName } from '../protocol/index.js';

const USAGE = `usage: npm run publish -- --room ROOM --key KEY [--ws-url ws://localhost:8081] [--fps N] [--name NAME] [FILE|-]

Reads JPEGs (ffmpeg -f mjpeg or -f mpjpeg output) from FILE or stdin and sends them to ROOM.
  --fps N    send every frame at N per second, pausing the input (for files); without it,
             frames go out as they arrive and the newest wins (for live sources)
  --ws-url   the server's WebSocket base URL (default ws://localhost:8081)
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`publish: ${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      room: { type: 'string' },
      key: { type: 'string' },
      'ws-url': { type: 'string', default: 'ws://localhost:8081' },
      fps: { type: 'string', default: '0' },
      name: { type: 'string', default: 'publish' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const { values, positionals } = args;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const room = values.room ?? '';
const fps = Number(values.fps);
if (!isValidRoomName(room)) fail(`--room must be a valid room name\n${USAGE}`);
if (!values.key) fail(`--key is required (npm run stream-key -- ${room} prints it)\n${USAGE}`);
if (!Number.isFinite(fps) || fps < 0 || fps > 240) fail('--fps must be a number from 0 to 240');
if (positionals.length > 1) fail(`one input at most\n${USAGE}`);
const input = positionals[0] ?? '-';

const base = values['ws-url'].replace(/\/+$/, '');
const query = new URLSearchParams({ role: 'broadcaster', key: values.key, name: values.name });
const url = `${base}/ws/${room}?${query}`;
const log = (line: string) => process.stderr.write(`publish: ${line}\n`);

const publisher = new FramePublisher({
  url,
  fps,
  log,
  onFatal: (message) => {
    stream.destroy();
    fail(message, 1);
  },
});
const splitter = new JpegSplitter();
const stream: Readable = input === '-' ? process.stdin : createReadStream(input);

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
  void publisher.finish().then(() => {
    log(`end of input: ${publisher.sent} frames sent, ${publisher.dropped} dropped, ${splitter.stats.discarded} broken pictures skipped`);
    process.exit(0);
  });
});

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  publisher.stop();
  log(`stopped: ${publisher.sent} frames sent`);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

log(`publishing ${input === '-' ? 'stdin' : input} to ${base}/ws/${room}${fps > 0 ? ` at ${fps} fps` : ''}`);
publisher.start();
