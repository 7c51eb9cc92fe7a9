import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerApiRoutes, type ApiDeps } from './api-routes.js';
import { setAssetCacheHeaders } from './asset-cache.js';
import { registerPageRoutes } from './page-routes.js';

export interface HttpServerOptions extends ApiDeps {
  host: string;
  port: number;
  /** Built pages (dist/web); pages answer 404 when it is missing. */
  webRoot: string;
  logger: Logger;
  /** Called with the fastify instance before it listens, so adapters can add routes. */
  extend?: (app: FastifyInstance) => void | Promise<void>;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Pages, snapshots and metrics are polled; one info line per request would drown real events.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode }, 'request');
  });
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
