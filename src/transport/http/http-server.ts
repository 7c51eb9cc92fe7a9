import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerApiRoutes, replyError, type ApiDeps } from './api-routes.js';
import { setAssetCacheHeaders } from './asset-cache.js';
import { registerPageRoutes } from './page-routes.js';
import { registerRateLimit } from './rate-limit.js';
import { registerSecurityHeaders } from './security-headers.js';

/** What a client may cost the HTTP server (HTTP_* settings, FRAME_ANCESTORS). */
export interface HttpLimits {
  /** Headers and body must have arrived within this. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** A connection that moves no bytes this long is closed. */
  idleTimeoutMs: number;
  bodyLimit: number;
  /** Requests per minute per address to /api/*; 0: unlimited. */
  rateLimitPerMinute: number;
  frameAncestors: readonly string[];
}

export interface HttpServerOptions extends ApiDeps {
  host: string;
  port: number;
  /** Built pages (dist/web); pages answer 404 when it is missing. */
  webRoot: string;
  logger: Logger;
  httpLimits: HttpLimits;
  /** Called with the fastify instance before it listens, so adapters can add routes. */
  extend?: (app: FastifyInstance) => void | Promise<void>;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly port: number;
  close(): Promise<void>;
}

// How often node checks the request timeouts: they are enforced this late at most.
const TIMEOUT_CHECK_MS = 1000;

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const limits = opts.httpLimits;
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Pages, snapshots and metrics are polled; one info line per request would drown real events.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
    // req.ip is then the X-Forwarded-For client, as the WebSocket transport takes it.
    trustProxy: opts.trustProxy === true,
    bodyLimit: limits.bodyLimit,
    // Slowloris and trickled bodies: the whole request must arrive in time, or it gets 408.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, limits.requestTimeoutMs),
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request');
  });
  // Refusals of the HTTP layer itself answer with the catalog's codes, like every other refusal.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'RATE_LIMITED') return replyError(reply, 'RATE_LIMITED');
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      req.log.info({ code: 'BODY_TOO_LARGE', url: req.url.split('?')[0] }, 'request refused');
      return replyError(reply, 'BODY_TOO_LARGE');
    }
    // A body that is not JSON, or not declared as such, on the routes that take one.
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      req.log.info({ code: 'BAD_BODY', url: req.url.split('?')[0] }, 'request refused');
      return replyError(reply, 'BAD_BODY', err.message);
    }
    return reply.send(err);
  });
  await registerSecurityHeaders(app, {
    publicWsUrl: opts.publicWsUrl,
    wsPort: opts.wsPort,
    trustProxy: opts.trustProxy === true,
    frameAncestors: limits.frameAncestors,
  });
  await registerRateLimit(app, limits.rateLimitPerMinute);
  const hasWeb = existsSync(opts.webRoot);
  if (hasWeb) {
    await app.register(fastifyStatic, { root: opts.webRoot, prefix: '/static/', index: false, cacheControl: false, setHeaders: setAssetCacheHeaders });
  }
  registerPageRoutes(app, hasWeb);
  registerApiRoutes(app, opts);
  if (opts.extend) await opts.extend(app);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { app, port, close: () => app.close() };
}
