import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createBroker } from './adapters/create-broker.js';
import type { Broker } from './core/broker/broker.js';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { resolveStreamSecret, type ResolvedSecret } from './config/stream-secret.js';
import { ConnectionLimiter } from './core/connection-limiter.js';
import type { FrameTap } from './core/room.js';
import type { RoomOptions } from './core/room-options.js';
import { RoomAccess } from './core/room-access.js';
import { RoomRegistry } from './core/room-registry.js';
import { deriveTokenKey } from './core/viewer-token.js';
import { noopTelemetry, type Telemetry } from './core/telemetry.js';
import type { Limits } from './protocol/index.js';
import { startHttpServer, type HttpServer } from './transport/http/http-server.js';
import { sharpEncoder, type JpegEncoder } from './media/jpeg-encoder.js';
import { MediaPipeline } from './media/media-pipeline.js';
import { registerMediaRoutes, type MjpegStreams } from './transport/http/media-routes.js';
import { registerRoomAdminRoutes } from './transport/http/room-admin-routes.js';
import { loadUws } from './transport/ws/load-uws.js';
import { startWsServer, type WsServer } from './transport/ws/ws-server.js';
import { explainListenFailure } from './transport/listen-failure.js';
import { loadPusherApps } from './config/pusher-apps/load-pusher-apps.js';
import type { PusherApp } from './config/pusher-apps/pusher-app.js';
import { createPusherTransport, type PusherTransport, type PusherTransportOptions } from './transport/pusher/pusher-transport.js';
import type { PusherTelemetry } from './transport/pusher/pusher-telemetry.js';

export interface Beamcast {
  readonly config: Config;
  readonly httpPort: number;
  readonly wsPort: number;
  readonly rooms: RoomRegistry;
  readonly broker: Broker;
  readonly secret: ResolvedSecret;
  /** Who may watch, chat or publish in which room (private rooms, viewer tokens). */
  readonly access: RoomAccess;
  readonly http: HttpServer;
  readonly ws: WsServer;
  /** Quality tiers, snapshots and MJPEG (QUALITY_TIERS, SOURCE_MAX_WIDTH). */
  readonly media: MediaPipeline;
  /** Open MJPEG streams and what they hold. */
  readonly mjpeg: MjpegStreams;
  /** The Pusher protocol endpoint (docs/pusher.md). */
  readonly pusher: PusherTransport;
  /** Readiness off (for DRAIN_SECONDS first), sockets closed with 4000, HTTP closed. Idempotent. */
  close(): Promise<void>;
}

export interface Extensions {
  telemetry?: Telemetry;
  taps?: FrameTap[];
  qualities?: readonly string[];
  http?: (app: FastifyInstance, rooms: RoomRegistry) => void | Promise<void>;
  /** Replaces the broker REDIS_URL selects (tests share one between servers). */
  broker?: Broker;
  /** Replaces sharp for recompressing tiers (tests simulate a slow or counting encoder). */
  jpegEncoder?: JpegEncoder;
  /** The Pusher apps, loaded at boot (main.ts); absent: loaded from the config here. */
  pusherApps?: readonly PusherApp[];
  pusherTelemetry?: PusherTelemetry;
  /** Webhook timings (tests shorten the retries). */
  webhooks?: PusherTransportOptions['webhooks'];
}

// How often empty rooms past their TTL are swept.
const SWEEP_INTERVAL_MS = 30_000;
const PRESENCE_INTERVAL_MS = 250;
const CHAT_ON_JOIN = 50;

export function limitsFrom(config: Config): Limits {
  return {
    maxFrameBytes: config.maxFrameBytes,
    maxFps: config.maxFps,
    maxChatLength: config.maxChatLength,
    chatRatePerSec: config.chatRate,
    chatBurst: config.chatBurst,
    maxNameLength: config.maxNameLength,
    maxTextBytes: config.maxTextBytes,
    // Room above both limits, so a realistic oversize message still gets its error code.
    maxMessageBytes: Math.max(config.wsMaxMessageBytes, 2 * config.maxFrameBytes, 2 * config.maxTextBytes),
    requestRatePerSec: config.requestRate,
    requestBurst: config.requestBurst,
    historyMaxBytes: config.historyMaxBytes,
  };
}

/** Wires core, transports and adapters. Everything here is closed again by `close()`. */
export async function startBeamcast(config: Config, log: Logger, ext: Extensions = {}): Promise<Beamcast> {
  const uws = loadUws();
  const secret = resolveStreamSecret(config.streamSecret, config.dataDir);
  if (secret.source === 'generated') log.info({ file: secret.file }, 'no STREAM_SECRET set: generated one and saved it');
  else if (secret.source === 'file') log.info({ file: secret.file }, 'using the stream secret saved earlier');

  const limits = limitsFrom(config);
  const telemetry = ext.telemetry ?? noopTelemetry;

  // Media pipeline: recompressed tiers, metadata-free frames, snapshot and MJPEG endpoints.
  const media = new MediaPipeline({
    tiers: config.qualityTiers,
    sourceMaxWidth: config.sourceMaxWidth,
    encode: ext.jpegEncoder ?? sharpEncoder,
    telemetry,
    log: log.child({ component: 'media' }),
  });

  const qualities = ext.qualities ?? media.qualities;
  const roomOptions: RoomOptions = {
    limits,
    chatHistory: config.chatHistory,
    chatOnJoin: CHAT_ON_JOIN,
    maxViewersPerRoom: config.maxViewersPerRoom,
    videoMaxBuffered: config.videoMaxBuffered,
    presenceIntervalMs: PRESENCE_INTERVAL_MS,
    qualities,
    // The tiers a broadcaster may encode itself: only those offered (an extension may offer fewer).
    tiers: config.qualityTiers.filter((t) => qualities.includes(t.name)).map((t) => ({ name: t.name, maxWidth: t.maxWidth, quality: t.quality })),
    telemetry,
    log,
  };
  // Rooms are shared through the broker: Redis when scaled out, this process otherwise.
  const broker = ext.broker ?? createBroker(config, qualities, log.child({ component: 'bus' }));
  const rooms = new RoomRegistry(roomOptions, broker, config.roomTtl * 1000, config.maxWaitingRooms);
  // Viewer tokens are signed with a key derived from the secret, never with the secret itself.
  const tokenKey = deriveTokenKey(secret.secret);
  const access = new RoomAccess(tokenKey, rooms);
  // One count per address across WebSockets and MJPEG streams.
  const limiter = new ConnectionLimiter(config.maxConnectionsPerIp, config.connectRate, config.connectBurst);
  let draining = false;
  let ready = false;
  const pusher = createPusherTransport({
    apps: ext.pusherApps ?? loadPusherApps(config).apps,
    broker,
    rooms,
    limiter,
    uws,
    settings: config,
    isDraining: () => draining,
    log,
    telemetry: ext.pusherTelemetry,
    webhooks: ext.webhooks,
    access,
  });
  rooms.onBusState((up) => pusher.busState(up));
  await broker.start(rooms);
  rooms.addTap(media);
  for (const tap of ext.taps ?? []) rooms.addTap(tap);

  const ws = await startWsServer({
    uws,
    host: config.host,
    port: config.wsPort,
    rooms,
    limiter,
    access,
    policy: {
      secret: secret.secret,
      tokenKey,
      allowedOrigins: config.allowedOrigins,
      maxNameLength: config.maxNameLength,
      qualities,
      isDraining: () => draining,
    },
    roomOptions,
    trustProxy: config.trustProxy,
    idleTimeoutSec: config.idleTimeout,
    maxBackpressure: config.wsMaxBackpressure,
    log,
    routes: [pusher.wsRoute],
  }).catch(async () => {
    // uWebSockets.js reports only that listening failed; the cause is found and named here.
    throw await explainListenFailure({ setting: 'WS_PORT', server: 'WebSocket server', host: config.host, port: config.wsPort }, null);
  });

  let http: HttpServer;
  let mjpeg: MjpegStreams | null = null;
  try {
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      webRoot: findWebRoot(),
      logger: log,
      rooms,
      access,
      secret: secret.secret,
      limits,
      qualities,
      publicWsUrl: config.publicWsUrl,
      trustProxy: config.trustProxy,
      wsPort: () => ws.port,
      isReady: () => ready && !draining,
      httpLimits: {
        requestTimeoutMs: config.httpRequestTimeout * 1000,
        keepAliveTimeoutMs: config.httpKeepAliveTimeout * 1000,
        idleTimeoutMs: config.httpIdleTimeout * 1000,
        bodyLimit: config.httpBodyLimit,
        rateLimitPerMinute: config.httpRateLimit,
        frameAncestors: config.frameAncestors,
      },
      extend: async (app) => {
        mjpeg = registerMediaRoutes(app, {
          rooms,
          qualities,
          currentFrame: (room, quality) => media.currentFrame(room, quality),
          limiter,
          access,
          stallMs: config.httpIdleTimeout * 1000,
        });
        await pusher.registerHttp(app);
        registerRoomAdminRoutes(app, { rooms, access, secret: secret.secret, tokenKey });
        await ext.http?.(app, rooms);
      },
    });
  } catch (err) {
    ws.close();
    await pusher.close();
    rooms.dispose();
    await broker.close();
    throw await explainListenFailure({ setting: 'PORT', server: 'HTTP server', host: config.host, port: config.port }, err);
  }

  const sweeper = setInterval(() => {
    rooms.sweep();
    limiter.sweep();
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  ready = true;

  let closing: Promise<void> | null = null;
  return {
    config,
    httpPort: http.port,
    wsPort: ws.port,
    rooms,
    broker,
    secret,
    access,
    http,
    ws,
    media,
    mjpeg: mjpeg!,
    pusher,
    close() {
      closing ??= (async () => {
        draining = true;
        // Drain: /readyz says 503 and new WebSockets are refused while open ones keep streaming,
        // so a load balancer stops routing here before the sockets close.
        if (config.drainSeconds > 0) {
          log.info({ seconds: config.drainSeconds }, 'draining');
          await new Promise((resolve) => setTimeout(resolve, config.drainSeconds * 1000));
        }
        clearInterval(sweeper);
        ws.close();
        await http.close();
        await pusher.close();
        rooms.dispose();
        await broker.close();
      })();
      return closing;
    },
  };
}

/** dist/web next to the package root, whether running from dist/ (bundled) or src/ (tsx). */
function findWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'dist', 'web');
}
