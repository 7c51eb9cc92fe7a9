export interface ImageSize {
  width: number;
  height: number;
}

// Start-of-frame markers that carry the image size (baseline, progressive, lossless, arithmetic...).
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Walks JPEG marker segments from `start` to the first SOF and reads its size.
 * Allocation-free and bounded by the number of segments before SOF, so it is cheap per frame.
 */
export function readJpegSize(bytes: Uint8Array, start = 0): ImageSize | null {
  let i = start + 2;
  const n = bytes.length;
  while (i + 9 < n) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const len = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (SOF.has(marker)) {
      const height = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const width = (bytes[i + 7]! << 8) | bytes[i + 8]!;
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xda || len < 2) return null;
    i += 2 + len;
  }
  return null;
}
