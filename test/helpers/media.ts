import sharp from 'sharp';
import { noopTelemetry, type SkipReason, type Telemetry } from '../../src/core/telemetry.js';
import { sharpEncoder, type JpegEncoder } from '../../src/media/jpeg-encoder.js';

/** A real, decodable JPEG: a gradient with a coloured square whose place depends on `variant`. */
export async function realJpeg(width: number, height: number, variant = 0, opts: { exif?: boolean; progressive?: boolean } = {}): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  const sq = Math.max(4, Math.floor(Math.min(width, height) / 4));
  const sx = (variant * 37) % Math.max(1, width - sq);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inSq = x >= sx && x < sx + sq && y >= 10 && y < 10 + sq;
      raw[i] = inSq ? 250 : (x * 255) / width;
      raw[i + 1] = inSq ? 40 : (y * 255) / height;
      raw[i + 2] = inSq ? 40 : 128;
    }
  }
  let img = sharp(raw, { raw: { width, height, channels: 3 } });
  if (opts.exif) {
    img = img.withExif({
      IFD0: { Make: 'SecretCam', Model: 'Model X', Copyright: 'someone' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
    });
  }
  return img.jpeg({ quality: 80, progressive: opts.progressive ?? false }).toBuffer();
}

/** Size and metadata as sharp (libvips) reads them. */
export async function jpegInfo(jpeg: Uint8Array): Promise<{ width: number; height: number; hasExif: boolean }> {
  const m = await sharp(jpeg).metadata();
  return { width: m.width!, height: m.height!, hasExif: m.exif !== undefined };
}

// Annex K luminance table; its entries' sum does not depend on zigzag order.
const STD_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22,
  37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** The IJG quality (1–100) a JPEG was written with, from its luminance quantisation table; -1 if unknown. */
export function jpegQuality(jpeg: Uint8Array): number {
  for (let i = 2; i + 5 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) break;
    const marker = jpeg[i + 1]!;
    const len = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    if (marker === 0xdb && (jpeg[i + 4]! & 0xf0) === 0) {
      let sum = 0;
      for (let k = 0; k < 64; k++) sum += jpeg[i + 5 + k]!;
      for (let q = 1; q <= 100; q++) {
        const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
        const s = STD_LUMA.reduce((acc, v) => acc + Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))), 0);
        if (s === sum) return q;
      }
      return -1;
    }
    i += 2 + len;
  }
  return -1;
}

/** Whether the bytes contain a metadata segment marker followed by the given identifier. */
export function hasSegment(jpeg: Uint8Array, marker: number, id: string): boolean {
  const needle = Buffer.concat([Buffer.from([0xff, marker]), Buffer.alloc(2), Buffer.from(id, 'latin1')]);
  const b = Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.length);
  for (let i = b.indexOf(0xff); i >= 0 && i + needle.length <= b.length; i = b.indexOf(0xff, i + 1)) {
    if (b[i + 1] === marker && b.subarray(i + 4, i + 4 + id.length).equals(needle.subarray(4))) return true;
  }
  return false;
}

/** sharp, counting how often each tier was encoded; `gate` (if set) holds every encode until released. */
export class CountingEncoder {
  readonly counts = new Map<number, number>();
  /** Input size of every encode, by the tier's width. */
  readonly inputs: { maxWidth: number; bytes: number }[] = [];
  total = 0;
  private gates: (() => void)[] = [];
  holding = false;

  readonly encode: JpegEncoder = async (jpeg, spec) => {
    this.total++;
    this.inputs.push({ maxWidth: spec.maxWidth, bytes: jpeg.length });
    this.counts.set(spec.maxWidth, (this.counts.get(spec.maxWidth) ?? 0) + 1);
    if (this.holding) await new Promise<void>((r) => this.gates.push(r));
    return sharpEncoder(jpeg, spec);
  };

  count(maxWidth: number): number {
    return this.counts.get(maxWidth) ?? 0;
  }

  /** Lets every held encode go on, and stops holding new ones. */
  release(): void {
    this.holding = false;
    const g = this.gates;
    this.gates = [];
    for (const f of g) f();
  }

  get held(): number {
    return this.gates.length;
  }
}

/** Telemetry that counts the media events tests look at. */
export function countingTelemetry(): Telemetry & { skips: Record<string, number>; failed: Record<string, number>; recompressed: Record<string, number> } {
  const skips: Record<string, number> = {};
  const failed: Record<string, number> = {};
  const recompressed: Record<string, number> = {};
  return {
    ...noopTelemetry,
    skips,
    failed,
    recompressed,
    framesSkipped(reason: SkipReason, n: number) {
      skips[reason] = (skips[reason] ?? 0) + n;
    },
    recompressFailed(quality: string) {
      failed[quality] = (failed[quality] ?? 0) + 1;
    },
    frameRecompressed(quality: string) {
      recompressed[quality] = (recompressed[quality] ?? 0) + 1;
    },
  };
}

export async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
