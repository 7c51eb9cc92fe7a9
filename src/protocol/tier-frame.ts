// Tier frames, protocol v1 extension: a broadcaster that encodes quality tiers itself sends each
// as a binary frame with the source frame's seq and capturedAt, flag bit 0 set, and the tier's name
// in extra header bytes. Readers that do not know the flag skip the extra bytes (headerLen) as
// they always must; the server relays tier frames with the plain 24-byte header.
//
// off size field
// 0   24   the fixed header; flags bit 0 (FRAME_FLAG_TIER) set, headerLen = 25 + n
// 24  1    n           length of the tier name, 1–16
// 25  n    tier        the tier's name, ASCII (a-z, 0-9, _ and -, starting with a letter)
// 25+n ... JPEG bytes
import { FRAME_HEADER_BYTES, FRAME_KIND_JPEG } from './frame-header.js';

/** Flag bit: the frame is a quality tier made by the broadcaster; its name follows the fixed header. */
export const FRAME_FLAG_TIER = 1;
export const MAX_TIER_NAME_LENGTH = 16;
/** Tier names as QUALITY_TIERS allows them. */
export const TIER_NAME_RE = /^[a-z][a-z0-9_-]{0,15}$/;

/**
 * The tier a frame is tagged with: null for an untagged (source) frame, undefined when the tag is
 * present but malformed (length beyond the header, or not a tier name). `headerLen` as checkFrame
 * found it.
 */
export function readTierTag(frame: Uint8Array, headerLen: number): string | null | undefined {
  if ((frame[1]! & FRAME_FLAG_TIER) === 0) return null;
  const n = frame[FRAME_HEADER_BYTES];
  if (n === undefined || n < 1 || n > MAX_TIER_NAME_LENGTH || FRAME_HEADER_BYTES + 1 + n > headerLen) return undefined;
  let name = '';
  for (let i = 0; i < n; i++) name += String.fromCharCode(frame[FRAME_HEADER_BYTES + 1 + i]!);
  return TIER_NAME_RE.test(name) ? name : undefined;
}

/** Header bytes of a frame tagged with `tier`. */
export function tierHeaderBytes(tier: string): number {
  return FRAME_HEADER_BYTES + 1 + tier.length;
}

/** Builds a tier frame: the tagged header plus a copy of the JPEG. Throws on a name that cannot be a tier. */
export function encodeTierFrame(jpeg: Uint8Array, tier: string, seq: number, capturedAt: number): Uint8Array {
  if (!TIER_NAME_RE.test(tier)) throw new Error(`not a tier name: ${JSON.stringify(tier)}`);
  const headerLen = tierHeaderBytes(tier);
  const out = new Uint8Array(headerLen + jpeg.length);
  const view = new DataView(out.buffer, out.byteOffset, headerLen);
  view.setUint8(0, FRAME_KIND_JPEG);
  view.setUint8(1, FRAME_FLAG_TIER);
  view.setUint16(2, headerLen, true);
  view.setUint32(4, seq >>> 0, true);
  view.setFloat64(8, capturedAt, true);
  view.setFloat64(16, 0, true);
  out[FRAME_HEADER_BYTES] = tier.length;
  for (let i = 0; i < tier.length; i++) out[FRAME_HEADER_BYTES + 1 + i] = tier.charCodeAt(i);
  out.set(jpeg, headerLen);
  return out;
}

/** Whether `seq` comes after `last` (uint32 counters that may wrap). */
export function seqIsNewer(seq: number, last: number): boolean {
  const d = (seq - last) >>> 0;
  return d !== 0 && d < 0x80000000;
}
