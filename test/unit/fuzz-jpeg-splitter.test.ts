import assert from 'node:assert/strict';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { JpegSplitter } from '../../src/ingest/jpeg-splitter.js';
import { fuzz, mutated } from '../helpers/fuzz.js';
import { segment } from '../helpers/jpeg-markers.js';
import { realJpeg } from '../helpers/media.js';

/** Feeds `stream` cut at `cuts` (any numbers: taken modulo the length) and ends it. */
function split(splitter: JpegSplitter, stream: Uint8Array, cuts: number[], onPush?: (chunk: number) => void): Buffer[] {
  const at = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort((a, b) => a - b);
  const frames: Buffer[] = [];
  let from = 0;
  for (const to of [...at, stream.length]) {
    if (to < from) continue;
    frames.push(...splitter.push(stream.subarray(from, to)));
    onPush?.(to - from);
    from = to;
  }
  splitter.end();
  return frames;
}

// Modelled pictures: segments whose payloads may hold FF D8 and FF D9 (an embedded thumbnail),
// scans whose data has stuffed bytes and restart markers, fill bytes; between the scans of a
// progressive picture, tables.
const payload = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9])));
const seg = fc.tuple(fc.constantFrom(0xe0, 0xe1, 0xe2, 0xfe, 0xdb, 0xc4, 0xc0, 0xc2, 0xdd), payload).map(([m, p]) => segment(m, p));
const scanData = fc
  .tuple(
    fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 0xfe }).map((b) => [b]) }, fc.constant([0xff, 0x00]), fc.integer({ min: 0xd0, max: 0xd7 }).map((m) => [0xff, m])), { maxLength: 60 }),
    fc.nat({ max: 2 }), // fill bytes before the next marker
  )
  .map(([t, fill]) => Uint8Array.from([...t.flat(), ...new Array<number>(fill).fill(0xff)]));
const scan = fc.tuple(fc.uint8Array({ maxLength: 10 }), scanData).map(([h, d]) => Buffer.concat([segment(0xda, h), d]));
const modelled = fc
  .tuple(fc.array(fc.oneof(seg, fc.constant(Uint8Array.from([0xff]))), { maxLength: 5 }), fc.array(fc.tuple(fc.array(seg, { maxLength: 3 }), scan), { minLength: 1, maxLength: 3 }))
  .map(([head, scans]) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...head, ...scans.flatMap(([t, s]) => [...t, s]), Buffer.from([0xff, 0xd9])]));

// Between pictures: bytes without FF (a stray FF D8 would start a picture), or multipart headers.
const separator = fc.oneof(
  fc.uint8Array({ max: 0xfe, maxLength: 20 }),
  fc.nat({ max: 99999 }).map((n) => Buffer.from(`\r\n--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: ${n}\r\n\r\n`)),
);

describe('JPEG splitter of the publisher under generated input', () => {
  const real: Buffer[] = [];
  beforeAll(async () => {
    real.push(await realJpeg(40, 30, 1), await realJpeg(48, 32, 2, { progressive: true }), await realJpeg(24, 24, 3, { exif: true }));
  });

  it('yields exactly the pictures of a stream, however it is cut into chunks', () => {
    const picture = fc.oneof(modelled, fc.nat().map((k) => real[k % real.length]!));
    fuzz(
      'splitter chunking',
      fc.property(fc.array(fc.tuple(separator, picture), { maxLength: 5 }), separator, fc.array(fc.nat(), { maxLength: 30 }), (items, tail, cuts) => {
        const stream = Buffer.concat([...items.flatMap(([s, p]) => [s, p]), tail]);
        const splitter = new JpegSplitter();
        const frames = split(splitter, stream, cuts);
        assert.deepEqual(frames, items.map(([, p]) => Buffer.from(p)));
        assert.deepEqual(splitter.stats, { frames: items.length, discarded: 0 });
      }),
      6_000,
    );
  });

  it('never throws on garbage, keeps memory within its limit, and emits only whole pictures', () => {
    const MAX = 512;
    // Garbage built from JPEG-like pieces (SOI, segment heads, fill) finds more paths than noise.
    const token = fc.oneof(
      fc.uint8Array({ maxLength: 8 }),
      fc.constantFrom(
        [0xff, 0xd8],
        [0xff, 0xd9],
        [0xff, 0xda, 0x00, 0x02],
        [0xff, 0xfe, 0x00, 0x04],
        [0xff, 0xe1, 0x00, 0x40],
        [0xff, 0x00],
        [0xff, 0xd0],
        [0xff, 0xff],
      ).map((b) => Uint8Array.from(b)),
    );
    const garbage = fc.oneof(
      fc.array(token, { maxLength: 120 }).map((t) => Buffer.concat(t)),
      mutated(modelled),
      fc.array(fc.tuple(fc.array(token, { maxLength: 10 }), modelled), { maxLength: 4 }).map((p) => Buffer.concat(p.flatMap(([t, m]) => [...t, m]))),
    );
    fuzz(
      'splitter garbage',
      fc.property(fc.array(garbage, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 30 }), (parts, cuts) => {
        const stream = Buffer.concat(parts);
        const splitter = new JpegSplitter(MAX);
        const frames = split(splitter, stream, cuts, (chunk) => {
          assert.ok(splitter.buffered <= MAX, `holds ${splitter.buffered} bytes after a ${chunk}-byte push`);
        });
        assert.equal(splitter.buffered, 0);
        for (const f of frames) {
          assert.deepEqual([f[0], f[1], f.at(-2), f.at(-1)], [0xff, 0xd8, 0xff, 0xd9]);
          assert.ok(stream.includes(f), 'a piece of the input');
        }
        assert.equal(splitter.stats.frames, frames.length);
      }),
      8_000,
    );
  });
});
