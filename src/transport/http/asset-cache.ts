/** The part of a response @fastify/static hands to `setHeaders`. */
interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
}

// The build names scripts, styles and icons after a hash of their content (camera-3FZQ7K2A.js):
// such a name never changes meaning, so browsers may keep it for a year without asking again.
const HASHED_ASSET = /-[A-Z0-9]{8}\.(?:js|css|svg|png)(?:\.map)?$/;

/** Cache-Control for a file under /static/: immutable when content-hashed, else revalidated on every use. */
export function assetCacheControl(path: string): string {
  return HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/** For @fastify/static's `setHeaders` (with its own `cacheControl` off). */
export function setAssetCacheHeaders(res: HeaderTarget, path: string): void {
  res.setHeader('cache-control', assetCacheControl(path));
}
