import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FRAME_KIND_JPEG,
  checkFrame,
  encodeFrame,
  readFrameHeader,
  readJpegSize,
  type FrameCheck,
} from '../../src/protocol/index.js';
import { atOffset, fuzz, mutated } from '../helpers/fuzz.js';
import { fakeJpeg } from '../helpers/jpeg.js';

/** The documented rules of a frame, written out plainly as the oracle for checkFrame. */
function expectedCheck(b: Uint8Array): FrameCheck {
  const n = b.length;
  if (n < FRAME_HEADER_BYTES + 4) return { ok: false, reason: 'malformed' };
  if (b[0] !== FRAME_KIND_JPEG) return { ok: false, reason: 'unknown_kind' };
  const headerLen = b[2]! + 256 * b[3]!;
  if (headerLen < FRAME_HEADER_BYTES || headerLen + 4 > n) return { ok: false, reason: 'malformed' };
  const soi = b[headerLen] === 0xff && b[headerLen + 1] === 0xd8;
  const eoi = b[n - 2] === 0xff && b[n - 1] === 0xd9;
  return soi && eoi ? { ok: true, headerLen } : { ok: false, reason: 'not_jpeg' };
}

const validFrame = fc
  .record({
    size: fc.integer({ min: 0, max: 300 }),
    seq: fc.integer({ min: -(2 ** 32), max: 2 ** 33 }),
    capturedAt: fc.double(),
    w: fc.integer({ min: 1, max: 65535 }),
    h: fc.integer({ min: 1, max: 65535 }),
  })
  .map(({ size, seq, capturedAt, w, h }) => encodeFrame(fakeJpeg(size, w, h), seq, capturedAt));

// Frames: random bytes, valid frames, mutated valid frames, and random bytes behind a valid header.
const anyFrame = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  validFrame,
  mutated(validFrame),
  fc.tuple(fc.integer({ min: 0, max: 2 ** 16 - 1 }), fc.uint8Array({ maxLength: 80 })).map(([headerLen, tail]) => {
    const f = new Uint8Array(FRAME_HEADER_BYTES + tail.length);
    f.set(tail, FRAME_HEADER_BYTES);
    f[0] = FRAME_KIND_JPEG;
    f[2] = headerLen & 255;
    f[3] = headerLen >> 8;
    return f;
  }),
);

describe('frame parsers under generated input', () => {
  it('checkFrame never throws and follows the documented rules, wherever the bytes sit in memory', () => {
    fuzz(
      'checkFrame',
      fc.property(anyFrame, fc.integer({ min: 0, max: 9 }), (bytes, offset) => {
        const check = checkFrame(atOffset(bytes, offset));
        assert.deepEqual(check, expectedCheck(bytes));
        if (check.ok) {
          const h = readFrameHeader(atOffset(bytes, offset));
          assert.equal(h.headerLen, check.headerLen);
          assert.equal(h.kind, FRAME_KIND_JPEG);
        }
      }),
      30_000,
    );
  });

  it('readFrameHeader gives back what encodeFrame wrote', () => {
    fuzz(
      'readFrameHeader round trip',
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double(), fc.double(), fc.integer({ min: 0, max: 7 }), (seq, capturedAt, relayedAt, offset) => {
        const f = atOffset(encodeFrame(fakeJpeg(40), seq, capturedAt, relayedAt), offset);
        const h = readFrameHeader(f);
        assert.equal(h.seq, seq >>> 0);
        assert.ok(Object.is(h.capturedAt, capturedAt));
        assert.ok(Object.is(h.relayedAt, relayedAt));
        assert.deepEqual(checkFrame(f), { ok: true, headerLen: FRAME_HEADER_BYTES });
      }),
      10_000,
    );
  });

  it('readJpegSize never throws, and answers null or a plausible size', () => {
    fuzz(
      'readJpegSize arbitrary',
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutated(validFrame.map((f) => f.subarray(FRAME_HEADER_BYTES)))), fc.integer({ min: 0, max: 120 }), (bytes, start) => {
        const size = readJpegSize(bytes, start);
        if (size) {
          assert.ok(Number.isInteger(size.width) && size.width >= 1 && size.width <= 65535);
          assert.ok(Number.isInteger(size.height) && size.height >= 1 && size.height <= 65535);
        }
      }),
      15_000,
    );
  });

  it('readJpegSize finds the size in the first SOF, past any segments before it', () => {
    const seg = fc
      .tuple(fc.constantFrom(0xe0, 0xe1, 0xe2, 0xed, 0xee, 0xfe, 0xdb, 0xc4, 0xdd), fc.uint8Array({ maxLength: 40 }))
      .map(([m, body]) => [0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body]);
    fuzz(
      'readJpegSize structured',
      fc.property(fc.array(seg, { maxLength: 8 }), fc.constantFrom(0xc0, 0xc1, 0xc2, 0xc3, 0xc9, 0xca), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), (segs, sof, w, h) => {
        const jpeg = Uint8Array.from([0xff, 0xd8, ...segs.flat(), 0xff, sof, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, ...new Array(9).fill(1), 0xff, 0xd9]);
        assert.deepEqual(readJpegSize(jpeg), { width: w, height: h });
      }),
      10_000,
    );
  });
});
