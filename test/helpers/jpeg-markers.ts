// Crafting and reading JPEG marker structure in tests, independently of the server's stripper.

export interface MarkerInfo {
  marker: number;
  /** Offset of the marker's FF. */
  at: number;
  /** The segment's length field (0 for markers without one). */
  length: number;
}

const STANDALONE = (m: number): boolean => m === 0x01 || (m >= 0xd0 && m <= 0xd9);

/**
 * Every marker of a JPEG outside its entropy-coded data, in order, up to and including the first
 * EOI; stops (returning what it found) at anything it cannot follow.
 */
export function jpegMarkers(jpeg: Uint8Array): MarkerInfo[] {
  const out: MarkerInfo[] = [];
  const n = jpeg.length;
  let i = 0;
  let inScan = false;
  while (i + 1 < n) {
    if (inScan) {
      if (jpeg[i] !== 0xff) {
        i++;
        continue;
      }
      const m = jpeg[i + 1]!;
      if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) {
        i += 2;
        continue;
      }
      if (m === 0xff) {
        i++;
        continue;
      }
      inScan = false;
    }
    if (jpeg[i] !== 0xff) return out;
    const m = jpeg[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (STANDALONE(m)) {
      out.push({ marker: m, at: i, length: 0 });
      if (m === 0xd9) return out;
      i += 2;
      continue;
    }
    if (i + 3 >= n) return out;
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    out.push({ marker: m, at: i, length });
    if (length < 2) return out;
    i += 2 + length;
    if (m === 0xda) inScan = true;
  }
  return out;
}

/** A marker segment: FF, marker, big-endian length, payload. */
export function segment(marker: number, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload);
  const head = Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([head, body]);
}

/** Inserts segments right after SOI. */
export function withSegments(jpeg: Uint8Array, ...segs: Uint8Array[]): Buffer {
  return Buffer.concat([Buffer.from(jpeg.subarray(0, 2)), ...segs, Buffer.from(jpeg.subarray(2))]);
}

/** Inserts segments before the `index`th SOS (0-based) of a JPEG. */
export function beforeScan(jpeg: Uint8Array, index: number, ...segs: Uint8Array[]): Buffer {
  const sos = jpegMarkers(jpeg).filter((m) => m.marker === 0xda)[index];
  if (!sos) throw new Error(`no scan ${index}`);
  return Buffer.concat([Buffer.from(jpeg.subarray(0, sos.at)), ...segs, Buffer.from(jpeg.subarray(sos.at))]);
}

export const EXIF_SEGMENT = segment(0xe1, 'Exif\0\0MM\0*\0\0\0\x08 Make=SecretCam GPS=48.85,2.29');
export const XMP_SEGMENT = segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS here</x:xmpmeta>');
export const COMMENT_SEGMENT = segment(0xfe, 'a comment with a name');
/** Bytes every metadata segment above carries; none may reach a viewer. */
export const SECRETS = ['SecretCam', 'xmpmeta', 'a comment'];
