// Binary frame layout, protocol v1 (little-endian). Shared by the server, the pages and the
// load generator, so it must stay free of Node-only APIs.
//
// off size field
// 0   1    kind        1 = JPEG video frame
// 1   1    flags       0 (reserved)
// 2   2    headerLen   24 (readers skip any extra header bytes)
// 4   4    seq         uint32 frame counter of the broadcaster
// 8   8    capturedAt  float64 ms since Unix epoch, broadcaster clock
// 16  8    relayedAt   float64 ms since Unix epoch, server clock when accepted
// 24  ...  JPEG bytes (FF D8 ... FF D9)

export const PROTOCOL_VERSION = 1;
export const FRAME_KIND_JPEG = 1;
export const FRAME_HEADER_BYTES = 24;
export const RELAYED_AT_OFFSET = 16;

export interface FrameHeader {
  kind: number;
  flags: number;
  headerLen: number;
  seq: number;
  capturedAt: number;
  relayedAt: number;
}

export type FrameCheck =
  | { ok: true; headerLen: number }
  | { ok: false; reason: 'malformed' | 'not_jpeg' | 'unknown_kind' };

/** Reads the fixed header fields. The caller must ensure at least FRAME_HEADER_BYTES bytes. */
export function readFrameHeader(bytes: Uint8Array): FrameHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  return {
    kind: view.getUint8(0),
    flags: view.getUint8(1),
    headerLen: view.getUint16(2, true),
    seq: view.getUint32(4, true),
    capturedAt: view.getFloat64(8, true),
    relayedAt: view.getFloat64(16, true),
  };
}

/** Checks structure without copying: header present, kind known, payload a complete JPEG. */
export function checkFrame(bytes: Uint8Array): FrameCheck {
  const n = bytes.length;
  if (n < FRAME_HEADER_BYTES + 4) return { ok: false, reason: 'malformed' };
  if (bytes[0] !== FRAME_KIND_JPEG) return { ok: false, reason: 'unknown_kind' };
  const headerLen = bytes[2]! | (bytes[3]! << 8);
  if (headerLen < FRAME_HEADER_BYTES || headerLen > n - 4) return { ok: false, reason: 'malformed' };
  if (bytes[headerLen] !== 0xff || bytes[headerLen + 1] !== 0xd8) return { ok: false, reason: 'not_jpeg' };
  if (bytes[n - 2] !== 0xff || bytes[n - 1] !== 0xd9) return { ok: false, reason: 'not_jpeg' };
  return { ok: true, headerLen };
}

/** Builds a frame: header plus a copy of the JPEG. Used by broadcasters and tools, not on the relay path. */
export function encodeFrame(jpeg: Uint8Array, seq: number, capturedAt: number, relayedAt = 0): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + jpeg.length);
  writeFrameHeader(out, seq, capturedAt, relayedAt);
  out.set(jpeg, FRAME_HEADER_BYTES);
  return out;
}

export function writeFrameHeader(out: Uint8Array, seq: number, capturedAt: number, relayedAt = 0): void {
  const view = new DataView(out.buffer, out.byteOffset, FRAME_HEADER_BYTES);
  view.setUint8(0, FRAME_KIND_JPEG);
  view.setUint8(1, 0);
  view.setUint16(2, FRAME_HEADER_BYTES, true);
  view.setUint32(4, seq >>> 0, true);
  view.setFloat64(8, capturedAt, true);
  view.setFloat64(16, relayedAt, true);
}

export function writeRelayedAt(frame: Uint8Array, relayedAt: number): void {
  new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).setFloat64(RELAYED_AT_OFFSET, relayedAt, true);
}
