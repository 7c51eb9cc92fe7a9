import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { HOST_RE, SAME_ORIGIN } from './api-routes.js';

export interface SecurityHeaderOptions {
  /** PUBLIC_WS_URL: where pages open their WebSockets. */
  publicWsUrl: string;
  wsPort: () => number;
  trustProxy: boolean;
  /** FRAME_ANCESTORS as CSP sources, keywords quoted. */
  frameAncestors: readonly string[];
}

/**
 * Security headers on every answer (they matter on pages; on JSON and images they cost nothing).
 * The Content-Security-Policy allows scripts, styles and images from this origin only, nothing
 * inline; WebSockets to where the pages open them; workers from this origin (the camera page's
 * tier encoder) and blob: (its tick timer).
 * No HSTS: TLS ends at the operator's proxy, which decides it.
 */
export async function registerSecurityHeaders(app: FastifyInstance, opts: SecurityHeaderOptions): Promise<void> {
  const ancestors = opts.frameAncestors;
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'", (req) => wsSources(req, opts)],
        'font-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': [...ancestors],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'worker-src': ["'self'", 'blob:'],
      },
    },
    // Browsers that predate frame-ancestors get the nearest X-Frame-Options; none when the
    // operator allows other origins, which X-Frame-Options cannot express.
    xFrameOptions:
      ancestors.length === 1 && ancestors[0] === "'none'"
        ? { action: 'deny' }
        : ancestors.length === 1 && ancestors[0] === "'self'"
          ? { action: 'sameorigin' }
          : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  });
}

/** Route option for answers other sites may embed (snapshots, MJPEG in an <img>). */
export const embeddable = { crossOriginResourcePolicy: { policy: 'cross-origin' as const } };

/** The WebSocket origins the pages of this request will connect to (see web/lib/page-config.ts). */
function wsSources(req: IncomingMessage, opts: SecurityHeaderOptions): string {
  const url = opts.publicWsUrl;
  if (url && url !== SAME_ORIGIN && /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const u = new URL(url);
    const scheme = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
    return `${scheme}//${u.host}`;
  }
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;
  const host = (opts.trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host || '';
  if (!HOST_RE.test(host)) return '';
  // Empty PUBLIC_WS_URL: the page's host name on WS_PORT; same-origin or a path: the page's origin.
  const target = url ? host : `${host.replace(/:\d+$/, '')}:${opts.wsPort()}`;
  return `ws://${target} wss://${target}`;
}
