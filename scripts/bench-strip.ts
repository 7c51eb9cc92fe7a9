// Cost of metadata stripping on the frame path, per frame: the relay's plain copy (what it costs
// at the least), the previous pass (segments before the first scan only, so it could be bypassed),
// and the full walk (every marker up to EOI, entropy data skipped with memchr). Side by side in
// one run, for webcam-sized JPEGs with and without EXIF.
// Run: node --import tsx scripts/bench-strip.ts
import sharp from 'sharp';
import { copyWithoutMetadata } from '../src/core/strip-jpeg-metadata.js';

const ROUNDS = 5;
const TARGET_MS = 300;

/** The previous pass, kept here as the baseline: walks to SOS, then copies the rest as is. */
function headerOnlyStrip(src: Uint8Array, start: number): Uint8Array {
  const n = src.length;
  const cuts: number[] = [];
  let i = start + 2;
  for (let segments = 0; segments < 512 && i + 3 < n && src[i] === 0xff; segments++) {
    const marker = src[i + 1]!;
    if (marker === 0xda) break;
    const len = (src[i + 2]! << 8) | src[i + 3]!;
    if ((marker >= 0xe1 && marker <= 0xef && marker !== 0xe2 && marker !== 0xee) || marker === 0xfe) cuts.push(i, i + 2 + len);
    i += 2 + len;
  }
  let removed = 0;
  for (let k = 0; k < cuts.length; k += 2) removed += cuts[k + 1]! - cuts[k]!;
  const out = new Uint8Array(n - removed);
  let from = 0;
  let to = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    out.set(src.subarray(from, cuts[k]!), to);
    to += cuts[k]! - from;
    from = cuts[k + 1]!;
  }
  out.set(src.subarray(from), to);
  return out;
}

async function picture(width: number, height: number, exif: boolean): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = 7;
  for (let i = 0; i < raw.length; i++) raw[i] = ((i % (width * 3)) >> 2) + ((s = (s * 1103515245 + 12345) >>> 0) >>> 28);
  let img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (exif) img = img.withExif({ IFD0: { Make: 'Cam', Model: 'X' } });
  return img.jpeg({ quality: 80 }).toBuffer();
}

function timePerCall(f: () => unknown): number {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < TARGET_MS) {
    for (let k = 0; k < 50; k++) f();
    calls += 50;
    t = performance.now();
  }
  return ((t - t0) * 1000) / calls;
}

const cases = [
  ['640×360, no EXIF', await picture(640, 360, false)],
  ['1280×720, EXIF', await picture(1280, 720, true)],
  ['1920×1080, no EXIF', await picture(1920, 1080, false)],
] as const;

process.stdout.write('frame                  bytes    copy µs  header-only µs  full walk µs  full/copy\n');
for (const [name, jpeg] of cases) {
  const frame = new Uint8Array(24 + jpeg.length);
  frame.set(jpeg, 24);
  const best = { copy: Infinity, header: Infinity, full: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    best.copy = Math.min(best.copy, timePerCall(() => new Uint8Array(frame)));
    best.header = Math.min(best.header, timePerCall(() => headerOnlyStrip(frame, 24)));
    best.full = Math.min(best.full, timePerCall(() => copyWithoutMetadata(frame, 24)));
  }
  process.stdout.write(
    `${name.padEnd(22)} ${String(jpeg.length).padStart(7)} ${best.copy.toFixed(1).padStart(9)} ${best.header.toFixed(1).padStart(15)} ${best.full.toFixed(1).padStart(13)} ${(best.full / best.copy).toFixed(2).padStart(10)}\n`,
  );
}
