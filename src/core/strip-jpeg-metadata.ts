// Frames leave the server without metadata: EXIF (camera, time, GPS location), XMP, IPTC,
// comments, embedded thumbnails and whatever follows the picture (multi-picture and motion-photo
// trailers). This is a byte-level pass over the whole JPEG that costs no decode and makes the one
// copy the relay needs anyway.
//
// The pass walks every marker: the segments before the first scan, the entropy-coded data of each
// scan (skipped with a byte search: there an FF is always followed by 00, a restart marker or fill),
// and the segments between the scans of a progressive picture, where metadata can hide too. Only
// segments a decoder needs are kept, and only APPn segments that change how the picture looks:
// APP0 when it is a bare JFIF header (density; no thumbnail), APP2 when it is an ICC_PROFILE chunk
// (colour space), APP14 when it is the fixed-size Adobe colour transform. Other APPn and COM
// segments are removed, and the copy ends at the first EOI.
//
// There is no way around it: a JPEG the walk cannot follow to its EOI (a segment length past the
// end, bytes that are not a marker where one must be, a marker no decoder knows, no scan, or more
// markers than any real picture has) is refused, never relayed as sent.

const TEM = 0x01;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP2 = 0xe2;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;
// A real JPEG has a few dozen markers outside its scan data (a progressive one: tables and a
// header per scan); restart markers inside the scans are not counted. Longer walks are hostile.
export const MAX_JPEG_MARKERS = 512;
const JFIF_LENGTH = 16; // "JFIF\0", version, units, density, and a 0x0 thumbnail
const ADOBE_LENGTH = 14; // "Adobe", version, flags0, flags1, transform
const ICC = [0x49, 0x43, 0x43, 0x5f, 0x50, 0x52, 0x4f, 0x46, 0x49, 0x4c, 0x45, 0x00]; // "ICC_PROFILE\0"
const JFIF = [0x4a, 0x46, 0x49, 0x46, 0x00];
const ADOBE = [0x41, 0x64, 0x6f, 0x62, 0x65];

function startsWith(bytes: Uint8Array, data: number, len: number, id: readonly number[]): boolean {
  if (len < id.length) return false;
  for (let k = 0; k < id.length; k++) if (bytes[data + k] !== id[k]) return false;
  return true;
}

/** Segments with a length that decoders use: SOFn, DHT, DAC, DQT, DNL, DRI, DHP, EXP, SOS. */
function isPictureSegment(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xdf && marker !== 0xc8 && !(marker >= 0xd0 && marker <= 0xd9);
}

/** Whether an APPn or COM segment (`segLen` counts its length field) is removed. */
function isMetadata(bytes: Uint8Array, marker: number, data: number, segLen: number): boolean {
  if (marker === COM) return true;
  const len = segLen - 2;
  if (marker === APP0) return !(segLen === JFIF_LENGTH && startsWith(bytes, data, len, JFIF));
  if (marker === APP2) return !startsWith(bytes, data, len, ICC);
  if (marker === APP14) return !(segLen === ADOBE_LENGTH && startsWith(bytes, data, len, ADOBE));
  return true;
}

/**
 * Offset of the marker that ends the entropy-coded data starting at `from` (its FF), or -1 when
 * the data runs to the end. Linear in the data: memchr for each FF.
 */
function endOfScan(buf: Buffer, from: number): number {
  const n = buf.length;
  let i = from;
  for (;;) {
    const j = buf.indexOf(0xff, i);
    if (j < 0 || j + 1 >= n) return -1;
    const m = buf[j + 1]!;
    if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) {
      i = j + 2; // a stuffed FF data byte, or a restart marker: still scan data
    } else if (m === 0xff) {
      i = j + 1; // fill byte before a marker
    } else {
      return j;
    }
  }
}

/**
 * Returns a new copy of `src` (the first `keep` bytes of the frame header before `start` included
 * unchanged) whose JPEG at `start` has no metadata, or null when the JPEG cannot be walked safely
 * to its first EOI: such a frame must be refused. `src[start..start+2]` must be FF D8 (see checkFrame).
 */
export function copyWithoutMetadata(src: Uint8Array, start: number, keep = start): Uint8Array | null {
  const buf = Buffer.from(src.buffer, src.byteOffset, src.length);
  const n = buf.length;
  let markers = 0;
  // Header bytes past `keep` are cut like a metadata segment.
  let cuts: number[] | null = keep < start ? [keep, start] : null;
  let removed = keep < start ? start - keep : 0;
  let scans = 0;
  let i = start + 2;
  let end = -1;
  while (end < 0) {
    if (++markers > MAX_JPEG_MARKERS || i + 1 >= n || buf[i] !== 0xff) return null;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === EOI) {
      if (scans === 0) return null;
      end = i + 2;
      continue;
    }
    if (marker === TEM || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // no payload
      continue;
    }
    const metadata = marker === COM || (marker >= APP0 && marker <= APP15);
    // SOI again, FF 00, or a reserved or extension marker that no decoder reads.
    if (!metadata && !isPictureSegment(marker)) return null;
    if (i + 3 >= n) return null;
    const len = (buf[i + 2]! << 8) | buf[i + 3]!;
    if (len < 2 || i + 2 + len > n) return null;
    if (metadata && isMetadata(buf, marker, i + 4, len)) {
      (cuts ??= []).push(i, i + 2 + len);
      removed += 2 + len;
    }
    i += 2 + len;
    if (marker === SOS) {
      scans++;
      i = endOfScan(buf, i);
      if (i < 0) return null;
    }
  }
  if (cuts === null) return new Uint8Array(buf.subarray(0, end));
  const out = new Uint8Array(end - removed);
  let from = 0;
  let to = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const a = cuts[k]!;
    out.set(buf.subarray(from, a), to);
    to += a - from;
    from = cuts[k + 1]!;
  }
  out.set(buf.subarray(from, end), to);
  return out;
}
