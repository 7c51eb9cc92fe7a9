import { encodeFrame } from '../../src/protocol/index.js';

// SOI, then SOF0 (17 bytes after its marker, giving the size), then an SOS header.
const SOS_AT = 21;
const DATA_AT = SOS_AT + 10;

/**
 * Bytes that pass the relay's JPEG checks (SOI, SOF0 giving a size, SOS, scan data without FF,
 * EOI), not a decodable picture: relay tests need speed, not pixels. Media tests make real JPEGs
 * with sharp. At least 34 bytes.
 */
export function fakeJpeg(size = 1000, width = 320, height = 240): Uint8Array {
  const b = new Uint8Array(Math.max(size, DATA_AT + 3));
  for (let i = 12; i < b.length - 2; i++) b[i] = i & 0x7f;
  b.set([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03]);
  b.set([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00], SOS_AT);
  b[b.length - 2] = 0xff;
  b[b.length - 1] = 0xd9;
  return b;
}

export function fakeFrame(seq: number, size = 1000, capturedAt = Date.now()): Uint8Array {
  return encodeFrame(fakeJpeg(size), seq, capturedAt);
}
