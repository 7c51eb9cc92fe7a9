// Messages between the camera page and its tier worker (web/workers/tier-worker.ts).

/** One tier to make from the picture: its name, pixel size and JPEG quality (1–100). */
export interface TierTarget {
  name: string;
  width: number;
  height: number;
  quality: number;
}

/** Page → worker: one captured picture (transferred) and the tiers to encode from it. */
export interface TierJob {
  id: number;
  bitmap: ImageBitmap;
  tiers: TierTarget[];
}

/** Worker → page: the JPEG of each tier (transferred) and its encode time; `error` if the worker cannot encode. */
export interface TierJobResult {
  id: number;
  results: { name: string; jpeg: ArrayBuffer; ms: number }[];
  error?: string;
}
