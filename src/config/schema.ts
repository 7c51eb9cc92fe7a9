// The one configuration schema. Every setting has an env var, a CLI flag derived from it
// (WS_PORT -> --ws-port), a default and a parser; src/config/load-config.ts applies it once at boot.

export interface Field<T> {
  env: string;
  default: T;
  doc: string;
  /** Throws an Error whose message completes "must be ...". */
  parse(raw: string): T;
}

function field<T>(f: Field<T>): Field<T> {
  return f;
}

const int =
  (min: number, max: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };

const num =
  (min: number, max: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`must be a number from ${min} to ${max}`);
    return n;
  };

const bool = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new Error('must be true or false');
};

const str = (raw: string): string => raw.trim();

const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string): T => {
    const v = raw.trim() as T;
    if (!values.includes(v)) throw new Error(`must be one of ${values.join(', ')}`);
    return v;
  };

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

import { parseCspSources } from './csp-sources.js';
const redisUrl = (raw: string): string => {
  const v = raw.trim();
  if (v === '') return v;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error('must be a URL such as redis://host:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('must start with redis:// or rediss://');
  return v;
};

const nodeIdValue = (raw: string): string => {
  const v = raw.trim();
  if (v !== '' && !/^[a-zA-Z0-9_.-]{1,64}$/.test(v)) throw new Error('must be 1-64 chars of letters, digits, _ . -');
  return v;
};

import { parseQualityTiers } from './quality-tiers.js';

const MiB = 1024 * 1024;

export const configSchema = {
  port: field({ env: 'PORT', default: 8080, parse: int(0, 65535), doc: 'HTTP port (pages, API, metrics); 0 picks a free port' }),
  wsPort: field({ env: 'WS_PORT', default: 8081, parse: int(0, 65535), doc: 'WebSocket port; 0 picks a free port' }),
  host: field({ env: 'HOST', default: '0.0.0.0', parse: str, doc: 'address both servers listen on' }),
  publicWsUrl: field({
    env: 'PUBLIC_WS_URL',
    default: '',
    parse: str,
    doc: 'WebSocket base URL the pages use, e.g. wss://cam.example.org; same-origin: the origin the page came from (a proxy forwards /ws/); empty: same host, WS_PORT',
  }),
  streamSecret: field({
    env: 'STREAM_SECRET',
    default: '',
    parse: str,
    doc: 'secret that stream keys derive from; empty: generated once and kept in DATA_DIR',
  }),
  dataDir: field({ env: 'DATA_DIR', default: './data', parse: str, doc: 'where the generated stream secret and default Pusher app are kept, and the chat and settings of every room when there is no REDIS_URL' }),
  // Pusher protocol (docs/pusher.md): the apps clients and backends use.
  pusherAppId: field({ env: 'PUSHER_APP_ID', default: '', parse: str, doc: 'id of a Pusher app defined in the environment (with PUSHER_APP_KEY and PUSHER_APP_SECRET)' }),
  pusherAppKey: field({ env: 'PUSHER_APP_KEY', default: '', parse: str, doc: 'key of that app: clients connect to /app/KEY' }),
  pusherAppSecret: field({ env: 'PUSHER_APP_SECRET', default: '', parse: str, doc: 'secret of that app: signs channel auth and HTTP API requests' }),
  appsFile: field({
    env: 'APPS_FILE',
    default: '',
    parse: str,
    doc: 'JSON file {"apps": [...]} of Pusher apps, soketi or Reverb field names (docs/pusher.md); with no app configured, one is generated and kept in DATA_DIR',
  }),
  pusherTimestampWindow: field({
    env: 'PUSHER_TIMESTAMP_WINDOW',
    default: 600,
    parse: int(1, 86_400),
    doc: 'seconds a signed HTTP API request stays valid around its auth_timestamp; older or newer ones are refused, so captured requests cannot be replayed later',
  }),
  logLevel: field({
    env: 'LOG_LEVEL',
    default: 'info' as const,
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    doc: 'pino log level; per-frame lines are trace',
  }),
  logPretty: field({ env: 'LOG_PRETTY', default: false, parse: bool, doc: 'human-readable log lines instead of JSON' }),
  allowedOrigins: field({
    env: 'ALLOWED_ORIGINS',
    default: ['*'],
    parse: list,
    doc: 'comma-separated Origins allowed to open WebSockets; * allows any',
  }),
  trustProxy: field({
    env: 'TRUST_PROXY',
    default: false,
    parse: bool,
    doc: 'take the client address from X-Forwarded-For (only behind your own proxy)',
  }),
  demoRoom: field({ env: 'DEMO_ROOM', default: 'demo', parse: str, doc: 'room whose broadcaster link is logged at start; empty: none' }),
  maxFrameBytes: field({ env: 'MAX_FRAME_BYTES', default: 1 * MiB, parse: int(1024, 64 * MiB), doc: 'largest video frame accepted' }),
  maxFps: field({ env: 'MAX_FPS', default: 30, parse: int(1, 240), doc: 'frames per second a broadcaster may send; extra frames are dropped' }),
  maxChatLength: field({ env: 'MAX_CHAT_LENGTH', default: 500, parse: int(1, 10_000), doc: 'longest chat text, in characters' }),
  chatRate: field({ env: 'CHAT_RATE', default: 2, parse: num(0.01, 1000), doc: 'chat messages per second per connection, sustained' }),
  chatBurst: field({ env: 'CHAT_BURST', default: 5, parse: int(1, 10_000), doc: 'chat messages a connection may send at once' }),
  maxNameLength: field({ env: 'MAX_NAME_LENGTH', default: 32, parse: int(1, 256), doc: 'longest display name' }),
  maxTextBytes: field({ env: 'MAX_TEXT_BYTES', default: 16_384, parse: int(256, MiB), doc: 'largest JSON text message' }),
  wsMaxMessageBytes: field({
    env: 'WS_MAX_MESSAGE_BYTES',
    default: 8 * MiB,
    parse: int(64 * 1024, 512 * MiB),
    doc: 'largest WebSocket message read and answered with an error code (FRAME_TOO_LARGE, MESSAGE_TOO_LARGE) on an open connection; up to twice this: closed with 1009; beyond: dropped unread (1006). Raised to twice MAX_FRAME_BYTES or MAX_TEXT_BYTES when those are larger',
  }),
  requestRate: field({
    env: 'REQUEST_RATE',
    default: 4,
    parse: num(0.1, 1000),
    doc: 'request budget per connection, in tokens per second: ping costs 1, quality 2, history 4 (chat has CHAT_RATE)',
  }),
  requestBurst: field({
    env: 'REQUEST_BURST',
    default: 40,
    parse: int(4, 100_000),
    doc: 'tokens of request budget a connection may save up and spend at once',
  }),
  historyMaxBytes: field({
    env: 'HISTORY_MAX_BYTES',
    default: 64 * 1024,
    parse: int(16 * 1024, 16 * MiB),
    doc: 'largest history message, serialised; longer replies are paged (more: true)',
  }),
  maxViewersPerRoom: field({ env: 'MAX_VIEWERS_PER_ROOM', default: 5000, parse: int(0, 1_000_000), doc: 'viewers per room; 0: unlimited' }),
  maxConnectionsPerIp: field({
    env: 'MAX_CONNECTIONS_PER_IP',
    default: 64,
    parse: int(0, 1_000_000),
    doc: 'long-lived connections (WebSockets and MJPEG streams together) per client address, IPv6 per /64; 0: unlimited',
  }),
  maxWaitingRooms: field({
    env: 'MAX_WAITING_ROOMS',
    default: 1000,
    parse: int(0, 1_000_000),
    doc: 'rooms nobody has been live in yet that viewers may wait in at once (never listed, dropped when empty); past it such viewers get 503 TOO_MANY_WAITING_ROOMS; 0: viewers may only join rooms that have been live',
  }),
  connectRate: field({
    env: 'CONNECT_RATE',
    default: 5,
    parse: num(0, 100_000),
    doc: 'new WebSockets and MJPEG streams per second per client address, sustained (each costs a welcome and a page of history); 0: unlimited',
  }),
  connectBurst: field({ env: 'CONNECT_BURST', default: 30, parse: int(1, 100_000), doc: 'new connections a client address may open at once' }),
  chatHistory: field({ env: 'CHAT_HISTORY', default: 500, parse: int(50, 100_000), doc: 'chat messages kept per room for history and recovery' }),
  idleTimeout: field({
    env: 'IDLE_TIMEOUT',
    default: 60,
    parse: int(8, 960),
    doc: 'seconds without traffic before a ping; a peer that stays silent is dropped',
  }),
  videoMaxBuffered: field({
    env: 'VIDEO_MAX_BUFFERED',
    default: 0,
    parse: int(0, 64 * MiB),
    doc: 'a viewer holding more unsent bytes than this skips frames (latest-frame-wins)',
  }),
  wsMaxBackpressure: field({
    env: 'WS_MAX_BACKPRESSURE',
    default: 4 * MiB,
    parse: int(64 * 1024, 1024 * MiB),
    doc: 'unsent bytes at which a connection counts as stuck and is closed with 4001',
  }),
  roomTtl: field({
    env: 'ROOM_TTL',
    default: 600,
    parse: int(1, 86_400 * 30),
    doc: 'seconds an empty room (last frame, chat) is kept once a broadcaster has been live in it',
  }),
  // HTTP server (pages, API, snapshots, MJPEG).
  httpRequestTimeout: field({
    env: 'HTTP_REQUEST_TIMEOUT',
    default: 10,
    parse: int(1, 600),
    doc: 'seconds within which the headers and body of an HTTP request must have arrived; slower requests get 408 and are closed',
  }),
  httpKeepAliveTimeout: field({
    env: 'HTTP_KEEPALIVE_TIMEOUT',
    default: 10,
    parse: int(1, 600),
    doc: 'seconds an idle keep-alive HTTP connection is kept open between requests (keep it above a proxy\'s upstream keepalive_timeout)',
  }),
  httpIdleTimeout: field({
    env: 'HTTP_IDLE_TIMEOUT',
    default: 60,
    parse: int(1, 3600),
    doc: 'seconds an HTTP connection may move no bytes before it is closed (e.g. a response the client does not read); an MJPEG client is closed when it leaves a frame unsent this long',
  }),
  httpBodyLimit: field({ env: 'HTTP_BODY_LIMIT', default: 16_384, parse: int(64, 16 * MiB), doc: 'largest HTTP request body, in bytes; larger ones get 413' }),
  httpRateLimit: field({
    env: 'HTTP_RATE_LIMIT',
    default: 1200,
    parse: int(0, 1_000_000),
    doc: 'requests per minute per client address to /api/* and /pusher/auth (IPv6 per /64), snapshots and MJPEG included; past it 429 with Retry-After; 0: unlimited',
  }),
  frameAncestors: field({
    env: 'FRAME_ANCESTORS',
    default: ["'self'"],
    parse: parseCspSources,
    doc: "who may show the pages in a frame (CSP frame-ancestors), space- or comma-separated: self, none, schemes or origins such as https://example.org",
  }),
  // Media pipeline (quality tiers, snapshot and MJPEG endpoints).
  qualityTiers: field({
    env: 'QUALITY_TIERS',
    default: parseQualityTiers('sd:640:60,thumb:160:50'),
    parse: parseQualityTiers,
    doc: 'recompressed tiers besides source, name:maxWidth:quality,...; each is encoded only while someone watches it; empty: none',
  }),
  sourceMaxWidth: field({
    env: 'SOURCE_MAX_WIDTH',
    default: 0,
    parse: int(0, 8192),
    doc: 'wider broadcaster frames are downscaled to this width (re-encoded at quality 85) before anyone sees them; 0: as sent',
  }),
  publicUrl: field({
    env: 'PUBLIC_URL',
    default: '',
    parse: str,
    doc: 'base URL people open, e.g. http://localhost behind the compose nginx; used for the links in the log; empty: http://HOST:PORT',
  }),
  drainSeconds: field({
    env: 'DRAIN_SECONDS',
    default: 0,
    parse: int(0, 120),
    doc: 'on SIGTERM, seconds /readyz answers 503 and new WebSockets are refused before open ones are closed',
  }),
  // Scale-out (several nodes sharing rooms).
  redisUrl: field({
    env: 'REDIS_URL',
    default: '',
    parse: redisUrl,
    doc: 'redis://[:password@]host:port[/db] shared by every node; empty: one node, chat kept in DATA_DIR',
  }),
  redisPrefix: field({ env: 'REDIS_PREFIX', default: 'beamcast:', parse: str, doc: 'prefix of every Redis key and channel, so several clusters can share one Redis' }),
  nodeId: field({
    env: 'NODE_ID',
    default: '',
    parse: nodeIdValue,
    doc: 'this node\'s id in the cluster (logs, metrics); empty: a random one at each start',
  }),
  metricsRoomLabels: field({
    env: 'METRICS_ROOM_LABELS',
    default: 0,
    parse: int(0, 100),
    doc: 'per-room metrics (labelled by room name) for this many of the busiest rooms; 0: room names never become labels',
  }),
} as const;

export type ConfigSchema = typeof configSchema;
export type Config = { readonly [K in keyof ConfigSchema]: ReturnType<ConfigSchema[K]['parse']> };

export function flagName(env: string): string {
  return '--' + env.toLowerCase().replace(/_/g, '-');
}
