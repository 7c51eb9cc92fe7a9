// Frames leave the server without metadata: EXIF (camera, time, GPS location), XMP, IPTC,
// comments. This is a byte-level pass over the marker segments before the scan data, so it costs
// no decode and makes the one copy the relay needs anyway.
//
// Kept, because they change how the picture looks: APP0 (JFIF density), APP2 when it is an
// ICC_PROFILE chunk (colour space), APP14 (Adobe colour transform).

const SOS = 0xda;
const APP0 = 0xe0;
const APP2 = 0xe2;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;
// Segments before the scan data of a real JPEG are a few dozen at most; a longer walk is hostile.
const MAX_SEGMENTS = 512;
const ICC = [0x49, 0x43, 0x43, 0x5f, 0x50, 0x52, 0x4f, 0x46, 0x49, 0x4c, 0x45, 0x00]; // "ICC_PROFILE\0"

function isIcc(bytes: Uint8Array, data: number, len: number): boolean {
  if (len < ICC.length) return false;
  for (let k = 0; k < ICC.length; k++) if (bytes[data + k] !== ICC[k]) return false;
  return true;
}

function dropped(bytes: Uint8Array, marker: number, data: number, len: number): boolean {
  if (marker === COM) return true;
  if (marker < APP0 || marker > APP15 || marker === APP0 || marker === APP14) return false;
  return !(marker === APP2 && isIcc(bytes, data, len));
}

/**
 * Returns a new copy of `src` (bytes before `start` — the frame header — included unchanged) whose
 * JPEG at `start` has no metadata segments. When the segment structure before the scan cannot be
 * walked, the bytes are copied unchanged: the relay's checks decide about such frames, not this pass.
 */
export function copyWithoutMetadata(src: Uint8Array, start: number): Uint8Array {
  const n = src.length;
  let cuts: number[] | null = null;
  let removed = 0;
  let i = start + 2;
  let ok = false;
  for (let segments = 0; segments < MAX_SEGMENTS && i + 1 < n; segments++) {
    if (src[i] !== 0xff) break;
    const marker = src[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      segments--;
      continue;
    }
    if (marker === SOS) {
      ok = true;
      break;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (i + 3 >= n) break;
    const len = (src[i + 2]! << 8) | src[i + 3]!;
    if (len < 2 || i + 2 + len > n) break;
    if (dropped(src, marker, i + 4, len - 2)) {
      (cuts ??= []).push(i, i + 2 + len);
      removed += 2 + len;
    }
    i += 2 + len;
  }
  if (!ok || cuts === null) return new Uint8Array(src);
  const out = new Uint8Array(n - removed);
  let from = 0;
  let to = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const a = cuts[k]!;
    out.set(src.subarray(from, a), to);
    to += a - from;
    from = cuts[k + 1]!;
  }
  out.set(src.subarray(from), to);
  return out;
}
