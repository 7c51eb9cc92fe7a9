import uWS from 'uWebSockets.js';

/**
 * The package silently falls back to a slow JavaScript implementation when its native binary
 * fails to load; only the native build has getParts. Refuse to run on the fallback.
 */
export function loadUws(): typeof uWS {
  if (typeof (uWS as { getParts?: unknown }).getParts !== 'function') {
    throw new Error(
      'uWebSockets.js native binary did not load (the JavaScript fallback is too slow to serve video). ' +
        'Use Node 20 on linux/darwin x64 or arm64 with glibc >= 2.31, and reinstall with npm ci.',
    );
  }
  return uWS;
}

export type Uws = typeof uWS;
