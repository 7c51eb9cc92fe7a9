import type { FastifyInstance } from 'fastify';
import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import type { Broker } from '../../core/broker/broker.js';
import { ChannelHub } from '../../core/channels/channel-hub.js';
import type { ConnectionLimiter } from '../../core/connection-limiter.js';
import type { Log } from '../../core/log.js';
import { publicRoomAccess, type FollowAccess } from '../../core/room-access.js';
import type { RoomRegistry } from '../../core/room-registry.js';
import type { Uws } from '../ws/load-uws.js';
import type { WsRoute } from '../ws/ws-route.js';
import { registerAuthRoute } from './http/auth-route.js';
import { registerPusherHttpApi } from './http/pusher-http-api.js';
import { PusherAppDirectory } from './pusher-app-directory.js';
import { pusherEventEncoder } from './pusher-event-encoder.js';
import { noopPusherTelemetry, type PusherTelemetry } from './pusher-telemetry.js';
import { pusherWsRoute } from './pusher-ws-route.js';
import { RoomChatPoster } from './rooms/room-chat-poster.js';
import { RoomFollowers } from './rooms/room-followers.js';
import { webhookHooks } from './webhooks/webhook-hooks.js';
import { WebhookSender, type WebhookSenderOptions } from './webhooks/webhook-sender.js';

export interface PusherSettings {
  trustProxy: boolean;
  idleTimeout: number;
  wsMaxBackpressure: number;
  pusherTimestampWindow: number;
  maxChatLength: number;
  maxNameLength: number;
}

export interface PusherTransportOptions {
  apps: readonly PusherApp[];
  broker: Broker;
  rooms: RoomRegistry;
  limiter: ConnectionLimiter;
  uws: Uws;
  settings: PusherSettings;
  isDraining(): boolean;
  log: Log;
  telemetry?: PusherTelemetry;
  /** Who may follow rooms through their channels (public rooms: everyone). */
  access?: FollowAccess;
  /** Webhook batching and retry timings (tests shorten them). */
  webhooks?: Omit<WebhookSenderOptions, 'apps' | 'telemetry' | 'log'>;
}

export interface PusherStats {
  connections: number;
  channels: number;
  subscriptions: number;
  delivered: number;
  published: number;
}

export interface PusherTransport {
  readonly hub: ChannelHub;
  readonly directory: PusherAppDirectory;
  readonly wsRoute: WsRoute;
  readonly webhooks: WebhookSender;
  /** The HTTP API (/apps/...) and the room channels' auth endpoint (/pusher/auth). */
  registerHttp(app: FastifyInstance): Promise<void>;
  /** The bus came back: every count of this node is reported again. */
  busState(up: boolean): void;
  stats(): PusherStats;
  /** Sends the webhooks still waiting (briefly), then stops them. */
  close(): Promise<void>;
}

// Channels one connection may hold at once: each costs the server a bus subscription.
const MAX_CHANNELS_PER_CONNECTION = 100;
// With enable_user_authentication, as soketi: 30 s to sign in.
const SIGNIN_TIMEOUT_MS = 30_000;

/** The Pusher protocol 7 endpoint, on the same core as rooms: its WebSocket route, HTTP API, hub and webhooks. */
export function createPusherTransport(opts: PusherTransportOptions): PusherTransport {
  const { settings } = opts;
  const telemetry = opts.telemetry ?? noopPusherTelemetry;
  const log = opts.log.child({ component: 'pusher' });
  const access = opts.access ?? publicRoomAccess;
  const directory = new PusherAppDirectory(opts.apps);
  const webhooks = new WebhookSender({ ...opts.webhooks, apps: opts.apps, telemetry, log });
  const hub = new ChannelHub({ bus: opts.broker.channels, encoder: pusherEventEncoder, hooks: webhookHooks(webhooks), log });
  hub.start();
  const followers = new RoomFollowers(opts.rooms, access);
  const roomChat = new RoomChatPoster(opts.rooms, settings);
  const wsRoute = pusherWsRoute({
    uws: opts.uws,
    directory,
    limiter: opts.limiter,
    isDraining: opts.isDraining,
    trustProxy: settings.trustProxy,
    idleTimeoutSec: settings.idleTimeout,
    maxBackpressure: settings.wsMaxBackpressure,
    hub,
    followers,
    telemetry,
    log,
    maxChannels: MAX_CHANNELS_PER_CONNECTION,
    signinTimeoutMs: SIGNIN_TIMEOUT_MS,
  });
  return {
    hub,
    directory,
    wsRoute,
    webhooks,
    async registerHttp(app) {
      const signature = { directory, windowSeconds: settings.pusherTimestampWindow };
      await registerPusherHttpApi(app, { hub, roomChat, signature, telemetry });
      registerAuthRoute(app, { directory, access, maxNameLength: settings.maxNameLength });
    },
    busState(up) {
      if (up) hub.resync();
    },
    stats() {
      return { connections: wsRoute.connections, ...hub.stats() };
    },
    close() {
      return webhooks.close();
    },
  };
}
