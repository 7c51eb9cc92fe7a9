import { loadConfig, ConfigError } from '../config/load-config.js';
import { findStreamSecret } from '../config/stream-secret.js';
import { streamKey } from '../core/stream-key.js';
import { isValidRoomName } from '../protocol/index.js';

export const PUBLISH_USAGE = `usage: npm run publish -- --room ROOM [--key KEY | --token TOKEN] [--ws-url URL] [--fps N] [--name NAME] [--tiers] [server settings] [FILE|-]

Reads JPEGs (ffmpeg -f mjpeg or -f mpjpeg output) from FILE or stdin and sends them to ROOM.
  --room     the room to broadcast to
  --key      its stream key; default: derived from STREAM_SECRET, or from the secret the
             server keeps in DATA_DIR (as npm run stream-key -- ROOM prints it)
  --token    instead of the key: a viewer token that grants publish (npm run token --
             --room ROOM --grants publish --ttl 1d prints one)
  --ws-url   the server's WebSocket base URL; default ws://HOST:WS_PORT (localhost when HOST
             is 0.0.0.0), from the same settings as the server: env, .env, or --ws-port/--host
  --fps N    send every frame at N per second, pausing the input (for files); without it,
             frames go out as they arrive and the newest wins (for live sources)
  --name     the broadcaster's name in chat (default publish)
  --tiers    encode the quality tiers viewers watch here, with sharp, and send them beside
             each frame, so the server only relays them (it makes any this machine cannot
             keep up with)
Server settings (--ws-port, --host, --stream-secret, --data-dir, ...) are read as npm start
reads them; npm start -- --help lists them.
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface PublishOptions {
  room: string;
  /** The stream key ('' when a token is used instead). */
  key: string;
  /** A token that grants publish, instead of the key; null: the key is used. */
  token: string | null;
  /** WebSocket base URL without a trailing slash, e.g. ws://127.0.0.1:8081 */
  wsBase: string;
  fps: number;
  name: string;
  /** A file path, or '-' for stdin. */
  input: string;
  /** Where the defaults came from, for the first log line. */
  keySource: 'flag' | 'secret' | 'token';
  /** Encode the watched tiers here (--tiers). */
  tiers: boolean;
}

const OWN_FLAGS = new Set(['--room', '--key', '--token', '--ws-url', '--fps', '--name']);
// Own flags without a value: the next argument is never taken for one (it may be the input file).
const OWN_SWITCHES = new Set(['--tiers']);

/**
 * The publish command line. Its own flags are parsed here; every other `--flag` is a server
 * setting, resolved by the server's config schema together with `env` and the `.env` file, so
 * the defaults match the server started from the same place. Returns null for --help.
 */
export function parsePublishArgs(argv: readonly string[], env: Record<string, string | undefined>, envFile: string | null): PublishOptions | null {
  const own = new Map<string, string>();
  const switches = new Set<string>();
  const serverArgs: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return null;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (OWN_SWITCHES.has(name)) {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      switches.add(name);
      continue;
    }
    // A value follows unless it looks like another option ('-' alone is stdin, never a value).
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) value = argv[++i]!;
    if (OWN_FLAGS.has(name)) {
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      own.set(name, value);
    } else {
      serverArgs.push(value === undefined ? name : `${name}=${value}`);
    }
  }
  let config;
  try {
    config = loadConfig({ env, argv: serverArgs, envFile });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new UsageError(err.message.replace('run with --help for the list', 'publish takes --room, --key, --token, --ws-url, --fps, --name, --tiers and the server settings npm start -- --help lists'));
    }
    throw err;
  }
  const room = own.get('--room') ?? '';
  if (!isValidRoomName(room)) throw new UsageError('--room must be a room name: 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit');
  const fps = Number(own.get('--fps') ?? '0');
  if (!Number.isFinite(fps) || fps < 0 || fps > 240) throw new UsageError('--fps must be a number from 0 to 240');
  if (positionals.length > 1) throw new UsageError('one input at most');

  const token = own.get('--token') ?? null;
  if (token !== null && own.has('--key')) throw new UsageError('give --key or --token, not both');
  let key = token === null ? own.get('--key') : '';
  const keySource = token !== null ? 'token' : key === undefined ? 'secret' : 'flag';
  if (key === undefined) {
    const secret = findStreamSecret(config.streamSecret, config.dataDir);
    if (!secret) {
      throw new UsageError(
        `--key is required: there is no STREAM_SECRET and no secret kept in DATA_DIR (${config.dataDir}) to derive it from. ` +
          `On the server, npm run stream-key -- ${room} prints it`,
      );
    }
    key = streamKey(secret, room);
  }
  const wsBase = (own.get('--ws-url') ?? `ws://${reachableHost(config.host)}:${config.wsPort}`).replace(/\/+$/, '');
  if (!/^wss?:\/\//.test(wsBase)) throw new UsageError(`--ws-url must start with ws:// or wss://, got ${JSON.stringify(wsBase)}`);
  if (own.get('--ws-url') === undefined && config.wsPort === 0) throw new UsageError('WS_PORT is 0 (a free port picked at start): give --ws-url or the port the server printed');
  return { room, key, token, wsBase, fps, name: own.get('--name') ?? 'publish', input: positionals[0] ?? '-', keySource, tiers: switches.has('--tiers') };
}

/** The address to connect to for a server listening on `host`: a wildcard means this machine. */
function reachableHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
