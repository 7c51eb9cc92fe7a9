import assert from 'node:assert/strict';
import { test } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  checkFrame,
  encodeFrame,
  readFrameHeader,
  readJpegSize,
  writeRelayedAt,
} from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';

test('encodeFrame writes the documented little-endian header', () => {
  const f = encodeFrame(fakeJpeg(100), 0x01020304, 1700000000123.5);
  assert.equal(f.length, FRAME_HEADER_BYTES + 100);
  assert.deepEqual([...f.subarray(0, 8)], [1, 0, 24, 0, 4, 3, 2, 1]);
  const h = readFrameHeader(f);
  assert.deepEqual(h, { kind: 1, flags: 0, headerLen: 24, seq: 0x01020304, capturedAt: 1700000000123.5, relayedAt: 0 });
  writeRelayedAt(f, 42.25);
  assert.equal(readFrameHeader(f).relayedAt, 42.25);
  assert.deepEqual([...f.subarray(24, 26)], [0xff, 0xd8]);
});

test('checkFrame accepts a complete JPEG and reports why others fail', () => {
  assert.deepEqual(checkFrame(encodeFrame(fakeJpeg(10), 1, 0)), { ok: true, headerLen: 24 });
  assert.deepEqual(checkFrame(new Uint8Array(10)), { ok: false, reason: 'malformed' });
  const wrongKind = encodeFrame(fakeJpeg(10), 1, 0);
  wrongKind[0] = 2;
  assert.deepEqual(checkFrame(wrongKind), { ok: false, reason: 'unknown_kind' });
  const badLen = encodeFrame(fakeJpeg(10), 1, 0);
  badLen[2] = 200;
  assert.deepEqual(checkFrame(badLen), { ok: false, reason: 'malformed' });
  const shortLen = encodeFrame(fakeJpeg(10), 1, 0);
  shortLen[2] = 8;
  assert.deepEqual(checkFrame(shortLen), { ok: false, reason: 'malformed' });
  const png = encodeFrame(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0xd9]), 1, 0);
  assert.deepEqual(checkFrame(png), { ok: false, reason: 'not_jpeg' });
  const truncated = encodeFrame(fakeJpeg(10), 1, 0).subarray(0, 30);
  assert.deepEqual(checkFrame(truncated), { ok: false, reason: 'not_jpeg' });
});

test('checkFrame skips extra header bytes announced by headerLen', () => {
  const jpeg = fakeJpeg(20);
  const f = new Uint8Array(32 + jpeg.length);
  f.set(encodeFrame(new Uint8Array(0), 7, 1).subarray(0, 24));
  f[2] = 32;
  f.set(jpeg, 32);
  assert.deepEqual(checkFrame(f), { ok: true, headerLen: 32 });
});

test('readJpegSize finds the size in the first SOF, past other segments', () => {
  assert.deepEqual(readJpegSize(fakeJpeg(100, 640, 480)), { width: 640, height: 480 });
  // APP0 segment of 16 bytes before the SOF.
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...new Array(14).fill(0)];
  const j = new Uint8Array([0xff, 0xd8, ...app0, 0xff, 0xc2, 0, 17, 8, 0x02, 0xd0, 0x05, 0x00, 3, 0, 0, 0xff, 0xd9]);
  assert.deepEqual(readJpegSize(j), { width: 1280, height: 720 });
  assert.equal(readJpegSize(new Uint8Array([0xff, 0xd8, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])), null);
});
