// Reads one app entry, accepting the field names of soketi (camelCase, PascalCase, snake_case)
// and of Laravel Reverb's config/reverb.php, so that an existing apps list can be reused.
// Unknown fields are errors (a typo must not silently fall back to a default); fields those
// servers have but beamcast does not use are accepted with a warning.

import { ConfigError } from '../load-config.js';
import { PUSHER_APP_DEFAULTS, type PusherApp } from './pusher-app.js';
import { parseWebhooks } from './parse-webhooks.js';
import { field, integer, kilobytes, limitOrNull, text, toBool, type Where } from './app-values.js';

// Canonical field -> every spelling accepted for it.
export const APP_FIELD_ALIASES = {
  id: ['id', 'app_id', 'appId', 'AppId'],
  key: ['key', 'app_key', 'appKey', 'AppKey'],
  secret: ['secret', 'app_secret', 'appSecret', 'AppSecret'],
  enabled: ['enabled', 'Enabled'],
  allowedOrigins: ['allowed_origins', 'allowedOrigins', 'AllowedOrigins'],
  maxConnections: ['max_connections', 'maxConnections', 'MaxConnections'],
  enableClientMessages: ['enable_client_messages', 'enableClientMessages', 'EnableClientMessages'],
  acceptClientEventsFrom: ['accept_client_events_from', 'acceptClientEventsFrom'],
  maxMessageSize: ['max_message_size', 'maxMessageSize'],
  activityTimeout: ['activity_timeout', 'activityTimeout'],
  pingInterval: ['ping_interval', 'pingInterval'],
  maxClientEventsPerSecond: ['max_client_events_per_sec', 'maxClientEventsPerSecond', 'MaxClientEventsPerSecond'],
  maxPresenceMembersPerChannel: ['max_presence_members_per_channel', 'maxPresenceMembersPerChannel', 'MaxPresenceMembersPerChannel'],
  maxPresenceMemberSizeInKb: ['max_presence_member_size_in_kb', 'maxPresenceMemberSizeInKb', 'MaxPresenceMemberSizeInKb'],
  maxEventPayloadInKb: ['max_event_payload_in_kb', 'maxEventPayloadInKb', 'MaxEventPayloadInKb'],
  maxEventChannelsAtOnce: ['max_event_channels_at_once', 'maxEventChannelsAtOnce', 'MaxEventChannelsAtOnce'],
  maxEventBatchSize: ['max_event_batch_size', 'maxEventBatchSize', 'MaxEventBatchSize'],
  enableUserAuthentication: ['enable_user_authentication', 'enableUserAuthentication', 'EnableUserAuthentication'],
  rateLimiting: ['rate_limiting', 'rateLimiting'],
  webhooks: ['webhooks', 'Webhooks'],
} as const;

type Canonical = keyof typeof APP_FIELD_ALIASES;

const OWNER = new Map<string, Canonical>(
  (Object.entries(APP_FIELD_ALIASES) as [Canonical, readonly string[]][]).flatMap(([canonical, names]) => names.map((n) => [n, canonical] as const)),
);

// Settings of soketi or Reverb that beamcast has no use for: accepted, with a warning saying so.
export const IGNORED_APP_FIELDS: Record<string, string> = {
  maxBackendEventsPerSecond: 'HTTP API calls are not rate-limited per app',
  max_backend_events_per_sec: 'HTTP API calls are not rate-limited per app',
  MaxBackendEventsPerSecond: 'HTTP API calls are not rate-limited per app',
  maxReadRequestsPerSecond: 'HTTP API calls are not rate-limited per app',
  max_read_req_per_sec: 'HTTP API calls are not rate-limited per app',
  MaxReadRequestsPerSecond: 'HTTP API calls are not rate-limited per app',
  maxChannelNameLength: "channel names follow Pusher's rule (at most 164 characters)",
  max_channel_name_length: "channel names follow Pusher's rule (at most 164 characters)",
  MaxChannelNameLength: "channel names follow Pusher's rule (at most 164 characters)",
  maxEventNameLength: 'event names are at most 200 characters',
  max_event_name_length: 'event names are at most 200 characters',
  MaxEventNameLength: 'event names are at most 200 characters',
};
// Reverb's client-side connection settings (host, port, scheme) for the Laravel app: not ours.
const SILENT = new Set(['options']);

const ID = /^[A-Za-z0-9_.-]{1,128}$/;
const ORIGIN_PATTERN = /^[A-Za-z0-9*.-]+(:\d{1,5})?$/;

export interface ParsedApp {
  app: PusherApp;
  warnings: string[];
}

/**
 * `where` names the entry in messages, e.g. `APPS_FILE (apps.json) apps[2]`; `label` renames a
 * field in them (the environment's app names PUSHER_APP_KEY rather than `.key`).
 */
export function parsePusherApp(raw: unknown, where: string, label?: (field: string) => string): ParsedApp {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`Invalid configuration: ${where} must be an object with id, key and secret`);
  }
  const entry = raw as Record<string, unknown>;
  const warnings: string[] = [];
  const got = new Map<Canonical, { name: string; value: unknown }>();
  for (const [name, value] of Object.entries(entry)) {
    const canonical = OWNER.get(name);
    if (canonical) {
      const prev = got.get(canonical);
      if (prev) throw new ConfigError(`Invalid configuration: ${where} sets both ${prev.name} and ${name}; keep one`);
      // soketi treats '' and null as "not set"; so do we, except where null means "no limit".
      if (value === '' || value === undefined) continue;
      got.set(canonical, { name, value });
    } else if (IGNORED_APP_FIELDS[name]) {
      warnings.push(`${where}.${name} is ignored: ${IGNORED_APP_FIELDS[name]}`);
    } else if (!SILENT.has(name)) {
      throw new ConfigError(`Invalid configuration: ${where} has an unknown field ${JSON.stringify(name)}`);
    }
  }
  const at = (c: Canonical): Where => {
    const name = got.get(c)?.name ?? APP_FIELD_ALIASES[c][0];
    return label ? label(name) : `${where}.${name}`;
  };
  const value = (c: Canonical): unknown => got.get(c)?.value;
  const has = (c: Canonical): boolean => got.has(c) && got.get(c)!.value !== null;

  const id = field(at('id'), () => text(value('id'), { allowNumber: true, pattern: ID, what: '1-128 characters of A-Z a-z 0-9 _ . -' }));
  const key = field(at('key'), () => text(value('key'), { pattern: ID, what: '1-128 characters of A-Z a-z 0-9 _ . -' }));
  const secret = field(at('secret'), () => text(value('secret'), { pattern: /^\S{1,512}$/, what: 'a non-empty string without spaces', secret: true }));

  let enableClientMessages: boolean = PUSHER_APP_DEFAULTS.enableClientMessages;
  if (has('acceptClientEventsFrom')) {
    const from = field(at('acceptClientEventsFrom'), () => text(value('acceptClientEventsFrom'), { pattern: /^(members|all|none)$/, what: 'members, all or none' }));
    enableClientMessages = from !== 'none';
    if (from === 'all') {
      warnings.push(`${at('acceptClientEventsFrom')} "all" is treated as "members": only a connection subscribed to a channel may send client events on it`);
    }
  }
  if (has('enableClientMessages')) enableClientMessages = field(at('enableClientMessages'), () => toBool(value('enableClientMessages')));

  const app: PusherApp = {
    id,
    key,
    secret,
    enabled: has('enabled') ? field(at('enabled'), () => toBool(value('enabled'))) : PUSHER_APP_DEFAULTS.enabled,
    allowedOrigins: has('allowedOrigins') ? field(at('allowedOrigins'), () => origins(value('allowedOrigins'))) : PUSHER_APP_DEFAULTS.allowedOrigins,
    maxConnections: got.has('maxConnections') ? field(at('maxConnections'), () => limitOrNull(value('maxConnections'), 1_000_000_000)) : null,
    enableClientMessages,
    maxMessageSize: has('maxMessageSize') ? field(at('maxMessageSize'), () => integer(value('maxMessageSize'), 128, 16 * 1024 * 1024)) : PUSHER_APP_DEFAULTS.maxMessageSize,
    activityTimeout: has('activityTimeout') ? field(at('activityTimeout'), () => integer(value('activityTimeout'), 1, 3600)) : PUSHER_APP_DEFAULTS.activityTimeout,
    pingInterval: has('pingInterval') ? field(at('pingInterval'), () => integer(value('pingInterval'), 1, 3600)) : PUSHER_APP_DEFAULTS.pingInterval,
    maxClientEventsPerSecond: got.has('maxClientEventsPerSecond')
      ? field(at('maxClientEventsPerSecond'), () => limitOrNull(value('maxClientEventsPerSecond'), 1_000_000))
      : PUSHER_APP_DEFAULTS.maxClientEventsPerSecond,
    maxPresenceMembersPerChannel: has('maxPresenceMembersPerChannel')
      ? field(at('maxPresenceMembersPerChannel'), () => integer(value('maxPresenceMembersPerChannel'), 1, 1_000_000))
      : PUSHER_APP_DEFAULTS.maxPresenceMembersPerChannel,
    maxPresenceMemberBytes: has('maxPresenceMemberSizeInKb')
      ? field(at('maxPresenceMemberSizeInKb'), () => kilobytes(value('maxPresenceMemberSizeInKb'), 1024))
      : PUSHER_APP_DEFAULTS.maxPresenceMemberBytes,
    maxEventPayloadBytes: has('maxEventPayloadInKb')
      ? field(at('maxEventPayloadInKb'), () => kilobytes(value('maxEventPayloadInKb'), 16 * 1024))
      : PUSHER_APP_DEFAULTS.maxEventPayloadBytes,
    maxEventChannelsAtOnce: has('maxEventChannelsAtOnce')
      ? field(at('maxEventChannelsAtOnce'), () => integer(value('maxEventChannelsAtOnce'), 1, 10_000))
      : PUSHER_APP_DEFAULTS.maxEventChannelsAtOnce,
    maxEventBatchSize: has('maxEventBatchSize') ? field(at('maxEventBatchSize'), () => integer(value('maxEventBatchSize'), 1, 10_000)) : PUSHER_APP_DEFAULTS.maxEventBatchSize,
    enableUserAuthentication: has('enableUserAuthentication')
      ? field(at('enableUserAuthentication'), () => toBool(value('enableUserAuthentication')))
      : PUSHER_APP_DEFAULTS.enableUserAuthentication,
    messageRateLimit: has('rateLimiting') ? rateLimiting(value('rateLimiting'), at('rateLimiting')) : null,
    webhooks: has('webhooks') ? parseWebhooks(value('webhooks'), at('webhooks')) : PUSHER_APP_DEFAULTS.webhooks,
  };
  return { app, warnings };
}

function origins(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error('must be a non-empty list of origins');
  return v.map((o, i) => {
    if (typeof o !== 'string' || o.trim() === '') throw new Error(`[${i}] must be a non-empty string`);
    const s = o.trim();
    if (s === '*' || ORIGIN_PATTERN.test(s)) return s;
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new Error(`[${i}] must be *, an origin like https://app.example.org or a host like *.example.org, got ${JSON.stringify(o)}`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== s.replace(/\/$/, '')) {
      throw new Error(`[${i}] must be *, an origin like https://app.example.org or a host like *.example.org, got ${JSON.stringify(o)}`);
    }
    return url.origin;
  });
}

function rateLimiting(v: unknown, where: Where): PusherApp['messageRateLimit'] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`Invalid configuration: ${where} must be an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['enabled', 'max_attempts', 'decay_seconds', 'terminate_on_limit'].includes(k)) {
      throw new ConfigError(`Invalid configuration: ${where} has an unknown field ${JSON.stringify(k)}`);
    }
  }
  if (o.enabled === undefined || !field(`${where}.enabled`, () => toBool(o.enabled))) return null;
  return {
    maxAttempts: o.max_attempts === undefined ? 60 : field(`${where}.max_attempts`, () => integer(o.max_attempts, 1, 1_000_000)),
    decaySeconds: o.decay_seconds === undefined ? 60 : field(`${where}.decay_seconds`, () => integer(o.decay_seconds, 1, 86_400)),
    terminateOnLimit: o.terminate_on_limit === undefined ? false : field(`${where}.terminate_on_limit`, () => toBool(o.terminate_on_limit)),
  };
}
