// One Pusher-protocol app: the credentials clients and backends use, and its limits. Parsed from
// the environment, an APPS_FILE or the default app kept in DATA_DIR (load-pusher-apps.ts).

export const WEBHOOK_EVENT_TYPES = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface PusherWebhook {
  url: string;
  eventTypes: readonly WebhookEventType[];
  /** Extra request headers; the signature headers cannot be overridden. */
  headers: Readonly<Record<string, string>>;
  /** Only events whose channel starts / ends with these. */
  channelPrefix: string | null;
  channelSuffix: string | null;
}

export interface PusherApp {
  id: string;
  key: string;
  /** Never logged; printed only in the startup .env block of a generated default app. */
  secret: string;
  enabled: boolean;
  /** '*', full origins (https://app.example.org) or host patterns (app.example.org, *.example.org). */
  allowedOrigins: readonly string[];
  /** Concurrent connections; null: no limit. */
  maxConnections: number | null;
  enableClientMessages: boolean;
  /** Largest WebSocket message a client may send, in bytes. */
  maxMessageSize: number;
  /** Seconds, sent in connection_established: the client pings after this much silence. */
  activityTimeout: number;
  /** Seconds of silence after which the server pings a connection itself. */
  pingInterval: number;
  /** Client events per second per connection; null: no limit. */
  maxClientEventsPerSecond: number | null;
  maxPresenceMembersPerChannel: number;
  /** Largest user_info (as JSON) of a presence member, in bytes. */
  maxPresenceMemberBytes: number;
  /** HTTP API: largest event data, in bytes. */
  maxEventPayloadBytes: number;
  /** HTTP API: channels one event may name. */
  maxEventChannelsAtOnce: number;
  /** HTTP API: events in one batch_events call. */
  maxEventBatchSize: number;
  /** Connections must pusher:signin within the user authentication timeout. */
  enableUserAuthentication: boolean;
  /** Reverb's rate_limiting: messages per decay window per connection; null: off. */
  messageRateLimit: { maxAttempts: number; decaySeconds: number; terminateOnLimit: boolean } | null;
  webhooks: readonly PusherWebhook[];
}

/** Every setting but the credentials, as a new app gets it. Pusher's own limits where it has them. */
export const PUSHER_APP_DEFAULTS = {
  enabled: true,
  allowedOrigins: ['*'],
  maxConnections: null,
  enableClientMessages: false,
  maxMessageSize: 10 * 1024,
  activityTimeout: 30,
  pingInterval: 60,
  maxClientEventsPerSecond: 10,
  maxPresenceMembersPerChannel: 100,
  maxPresenceMemberBytes: 2 * 1024,
  maxEventPayloadBytes: 10 * 1024,
  maxEventChannelsAtOnce: 100,
  maxEventBatchSize: 10,
  enableUserAuthentication: false,
  messageRateLimit: null,
  webhooks: [],
} as const satisfies Omit<PusherApp, 'id' | 'key' | 'secret'>;
