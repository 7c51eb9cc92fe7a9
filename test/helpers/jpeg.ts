import { encodeFrame } from '../../src/protocol/index.js';

/**
 * Bytes that pass the relay's JPEG check (SOI ... EOI, with a SOF0 giving a size), not a decodable
 * picture: relay tests need speed, not pixels. Media tests make real JPEGs with sharp.
 */
export function fakeJpeg(size = 1000, width = 320, height = 240): Uint8Array {
  const b = new Uint8Array(Math.max(size, 24));
  b.set([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03]);
  for (let i = 12; i < b.length - 2; i++) b[i] = i & 0x7f;
  b[b.length - 2] = 0xff;
  b[b.length - 1] = 0xd9;
  return b;
}

export function fakeFrame(seq: number, size = 1000, capturedAt = Date.now()): Uint8Array {
  return encodeFrame(fakeJpeg(size), seq, capturedAt);
}
