import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { HOST_RE, SAME_ORIGIN } from './api-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route-level changes to the security headers, e.g. `embeddable`; the rest stay as set here. */
    securityHeaders?: Readonly<HelmetOptions>;
  }
}

export interface SecurityHeaderOptions {
  /** PUBLIC_WS_URL: where pages open their WebSockets. */
  publicWsUrl: string;
  wsPort: () => number;
  trustProxy: boolean;
  /** FRAME_ANCESTORS as CSP sources, keywords quoted. */
  frameAncestors: readonly string[];
}

type HeaderSetter = ReturnType<typeof helmet>;

/**
 * Security headers on every answer (they matter on pages; on JSON and images they cost nothing).
 * The Content-Security-Policy allows scripts, styles and images from this origin only, nothing
 * inline; WebSockets to where the pages open them; workers from this origin (the camera page's
 * tier encoder) and blob: (its tick timer).
 * No HSTS: TLS ends at the operator's proxy, which decides it.
 *
 * helmet's setters are built once, at boot and when a route with its own `securityHeaders`
 * is added: building them parses every CSP directive, which per request (as @fastify/helmet
 * does) was most of what a signed API request cost beyond its own work.
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: SecurityHeaderOptions): void {
  const ancestors = opts.frameAncestors;
  const wsSources = wsSourcesFor(opts);
  const everywhere: HelmetOptions = {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'", wsSources],
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
  };
  const setAll = helmet(everywhere);
  const perRoute = new Map<Readonly<HelmetOptions>, HeaderSetter>();
  app.addHook('onRoute', (route) => {
    const own = route.config?.securityHeaders;
    if (own && !perRoute.has(own)) perRoute.set(own, helmet({ ...everywhere, ...own } as HelmetOptions));
  });
  app.addHook('onRequest', (req, reply, done) => {
    const own = req.routeOptions.config.securityHeaders;
    // helmet passes nothing or an Error to its callback.
    (own ? (perRoute.get(own) ?? setAll) : setAll)(req.raw, reply.raw, done as (err?: unknown) => void);
  });
}

/** `config.securityHeaders` of answers other sites may embed (snapshots, MJPEG in an <img>). */
export const embeddable: Readonly<HelmetOptions> = { crossOriginResourcePolicy: { policy: 'cross-origin' } };

/**
 * The WebSocket origins the pages will connect to (see web/lib/page-config.ts): fixed by an
 * absolute PUBLIC_WS_URL (then helmet writes the whole policy once), else those of each request.
 */
function wsSourcesFor(opts: SecurityHeaderOptions): string | ((req: IncomingMessage) => string) {
  const url = opts.publicWsUrl;
  if (url && url !== SAME_ORIGIN && /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const u = new URL(url);
    const scheme = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
    return `${scheme}//${u.host}`;
  }
  return (req) => wsSourcesOfRequest(req, opts);
}

function wsSourcesOfRequest(req: IncomingMessage, opts: SecurityHeaderOptions): string {
  const url = opts.publicWsUrl;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;
  const host = (opts.trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host || '';
  if (!HOST_RE.test(host)) return '';
  // Empty PUBLIC_WS_URL: the page's host name on WS_PORT; same-origin or a path: the page's origin.
  const target = url ? host : `${host.replace(/:\d+$/, '')}:${opts.wsPort()}`;
  return `ws://${target} wss://${target}`;
}
