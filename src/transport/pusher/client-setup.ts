// What to paste into a client to use an app: the .env block of a Laravel app (Reverb or Pusher
// broadcaster) and a pusher-js snippet. beamcast serves the HTTP API on PORT and WebSockets on
// WS_PORT, so Laravel's server side (REVERB_HOST/PORT, used for /apps/... calls) and its
// browser side (VITE_REVERB_HOST/PORT, used by Echo for /app/KEY) point at different ports.

export interface Endpoint {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

export interface PusherEndpoints {
  /** Where backends send signed /apps/:id/... requests. */
  api: Endpoint;
  /** Where browsers open ws(s)://HOST:PORT/app/KEY. */
  ws: Endpoint;
}

export interface EndpointSettings {
  host: string;
  httpPort: number;
  wsPort: number;
  publicUrl: string;
  publicWsUrl: string;
}

function fromUrl(s: string): Endpoint | null {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  const tls = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!tls && url.protocol !== 'http:' && url.protocol !== 'ws:') return null;
  return { scheme: tls ? 'https' : 'http', host: url.hostname, port: url.port ? Number(url.port) : tls ? 443 : 80 };
}

/** Public addresses, from PUBLIC_URL / PUBLIC_WS_URL when set (a proxy in front), else HOST and the ports. */
export function pusherEndpoints(s: EndpointSettings): PusherEndpoints {
  const host = s.host === '0.0.0.0' || s.host === '::' || s.host === '' ? 'localhost' : s.host;
  const api = fromUrl(s.publicUrl) ?? { scheme: 'http', host, port: s.httpPort };
  const ws = s.publicWsUrl === 'same-origin' ? api : (fromUrl(s.publicWsUrl) ?? { scheme: 'http', host, port: s.wsPort });
  return { api, ws };
}

export interface SnippetApp {
  id: string;
  key: string;
  secret: string;
}

// A value .env parsers (phpdotenv, dotenv) read back unchanged.
function envValue(v: string): string {
  if (/^[A-Za-z0-9_.\-+/=:]*$/.test(v)) return v;
  if (!v.includes("'")) return `'${v}'`;
  return JSON.stringify(v);
}

/**
 * The .env lines for a Laravel app. The secret is written once (REVERB_APP_SECRET) and the
 * PUSHER_* variables refer to the REVERB_* ones, so the block holds it in a single place; with
 * `secret: false` it names where to find it instead.
 */
export function laravelEnvBlock(app: SnippetApp, e: PusherEndpoints, opts: { secret: boolean; secretHint?: string } = { secret: true }): string {
  const secret = opts.secret ? envValue(app.secret) : `# (the secret: ${opts.secretHint ?? 'see the app configuration'})`;
  return [
    '# Laravel broadcasting through beamcast: paste into the Laravel app\'s .env',
    'BROADCAST_CONNECTION=reverb',
    `REVERB_APP_ID=${envValue(app.id)}`,
    `REVERB_APP_KEY=${envValue(app.key)}`,
    opts.secret ? `REVERB_APP_SECRET=${secret}` : `REVERB_APP_SECRET= ${secret}`,
    '# Laravel -> beamcast HTTP API',
    `REVERB_HOST=${envValue(e.api.host)}`,
    `REVERB_PORT=${e.api.port}`,
    `REVERB_SCHEME=${e.api.scheme}`,
    '# Browsers (Echo) -> beamcast WebSocket',
    'VITE_REVERB_APP_KEY="${REVERB_APP_KEY}"',
    `VITE_REVERB_HOST=${envValue(e.ws.host)}`,
    `VITE_REVERB_PORT=${e.ws.port}`,
    `VITE_REVERB_SCHEME=${e.ws.scheme}`,
    '# The same for BROADCAST_CONNECTION=pusher (Echo broadcaster "pusher")',
    'PUSHER_APP_ID="${REVERB_APP_ID}"',
    'PUSHER_APP_KEY="${REVERB_APP_KEY}"',
    'PUSHER_APP_SECRET="${REVERB_APP_SECRET}"',
    'PUSHER_HOST="${REVERB_HOST}"',
    'PUSHER_PORT="${REVERB_PORT}"',
    'PUSHER_SCHEME="${REVERB_SCHEME}"',
    'PUSHER_APP_CLUSTER=mt1',
    'VITE_PUSHER_APP_KEY="${REVERB_APP_KEY}"',
    'VITE_PUSHER_HOST="${VITE_REVERB_HOST}"',
    'VITE_PUSHER_PORT="${VITE_REVERB_PORT}"',
    'VITE_PUSHER_SCHEME="${VITE_REVERB_SCHEME}"',
    'VITE_PUSHER_APP_CLUSTER="${PUSHER_APP_CLUSTER}"',
  ].join('\n');
}

/** A page's connection with pusher-js (the key only: the secret never goes to a browser). */
export function pusherJsSnippet(app: Pick<SnippetApp, 'key'>, e: PusherEndpoints): string {
  const tls = e.ws.scheme === 'https';
  const api = `${e.api.scheme}://${e.api.host}${(e.api.scheme === 'https' ? e.api.port === 443 : e.api.port === 80) ? '' : `:${e.api.port}`}`;
  return [
    "import Pusher from 'pusher-js';",
    `const pusher = new Pusher(${JSON.stringify(app.key)}, {`,
    "  cluster: '', // required by pusher-js, unused with wsHost",
    `  wsHost: ${JSON.stringify(e.ws.host)},`,
    `  ${tls ? 'wssPort' : 'wsPort'}: ${e.ws.port},`,
    `  forceTLS: ${tls},`,
    `  enabledTransports: [${tls ? "'wss'" : "'ws'"}],`,
    `  channelAuthorization: { endpoint: ${JSON.stringify(`${api}/pusher/auth`)}, transport: 'ajax' },`,
    '});',
    "pusher.subscribe('my-channel').bind('my-event', (data) => console.log(data));",
  ].join('\n');
}
