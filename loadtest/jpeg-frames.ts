// Real JPEGs for the broadcaster: either the .jpg files of a folder, or pictures made once
// with sharp (a gradient with noise, the noise tuned so each file lands near the requested
// size) and kept in the system temp folder for the next run.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FRAME_COUNT = 8;
const TOLERANCE = 0.05;

export async function loadJpegs(dir: string): Promise<Uint8Array[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no .jpg files in ${dir}`);
  return files.map((f) => {
    const b = new Uint8Array(readFileSync(join(dir, f)));
    if (b[0] !== 0xff || b[1] !== 0xd8 || b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) throw new Error(`${f} is not a complete JPEG`);
    return b;
  });
}

/** Pictures of about `targetBytes` each, generated on first use and cached. */
export async function generatedJpegs(targetBytes: number, cacheDir = join(tmpdir(), 'beamcast-loadtest-frames')): Promise<Uint8Array[]> {
  const dir = join(cacheDir, `${targetBytes}`);
  if (existsSync(dir)) {
    const files = readdirSync(dir).filter((f) => f.endsWith('.jpg'));
    if (files.length >= FRAME_COUNT) return loadJpegs(dir);
  }
  const { default: sharp } = await import('sharp');
  const [width, height] = targetBytes <= 24_000 ? [640, 360] : targetBytes <= 120_000 ? [1280, 720] : [1920, 1080];
  const out: Uint8Array[] = [];
  for (let k = 0; k < FRAME_COUNT; k++) {
    const encode = async (noise: number): Promise<Buffer> => {
      const raw = picture(width, height, noise, k);
      return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80, mozjpeg: false }).toBuffer();
    };
    // Bisection on the noise amplitude: more noise, bigger file.
    let lo = 0;
    let hi = 128;
    let best = await encode(16);
    for (let i = 0; i < 12 && Math.abs(best.length - targetBytes) > targetBytes * TOLERANCE; i++) {
      const mid = (lo + hi) / 2;
      best = await encode(mid);
      if (best.length > targetBytes) hi = mid;
      else lo = mid;
    }
    out.push(new Uint8Array(best));
  }
  mkdirSync(dir, { recursive: true });
  out.forEach((b, k) => writeFileSync(join(dir, `frame-${k}.jpg`), b));
  return out;
}

function picture(width: number, height: number, noise: number, seed: number): Buffer {
  const px = Buffer.allocUnsafe(width * height * 3);
  let s = (seed + 1) * 2654435761;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      s = (s * 1103515245 + 12345) >>> 0;
      const n = ((s >>> 16) / 65536 - 0.5) * noise;
      px[i] = clamp((x * 255) / width + n + seed * 20);
      px[i + 1] = clamp((y * 255) / height + n);
      px[i + 2] = clamp(128 + n);
    }
  }
  return px;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v | 0);
