// Command-line options of the Pusher scenario (`npm run loadtest -- --scenario pusher ...`).
// Parsing is pure so it can be tested.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { OptionsError, addServerEnv, forEachFlag, numberOption } from './argv.js';
import type { PusherApp } from './pusher-targets.js';

export const PUSHER_TARGETS = ['beamcast', 'soketi', 'pusher-uws'] as const;
export type PusherTarget = (typeof PUSHER_TARGETS)[number];

export interface PusherOptions {
  subscribers: number;
  /** Events triggered per second through the HTTP API. */
  rate: number;
  /** Size of each event's `data` string, in bytes. */
  eventBytes: number;
  duration: number;
  warmup: number;
  channel: string;
  spawn: boolean;
  /** A running server: its WebSocket base (…/app/KEY is appended) and HTTP API base. */
  wsUrl: string | null;
  httpUrl: string | null;
  app: PusherApp;
  target: PusherTarget;
  compare: PusherTarget[];
  rounds: number;
  ramp: number;
  workers: number;
  sourceAddresses: number;
  json: string | null;
  serverEnv: Record<string, string>;
  /** beamcast's built entry to spawn instead of this checkout's (another version's dist/server/main.js). */
  entry: string | null;
  profile: string | null;
  progress: boolean;
}

export const PUSHER_HELP = `Usage: npm run loadtest -- --scenario pusher [options]

Pusher protocol 7 subscribers on one public channel; events triggered through the signed HTTP API
(POST /apps/ID/events) at a steady rate, each carrying its send time. Reports delivered %, latency
trigger → delivery, and server CPU per 1000 deliveries.

  --subscribers N       subscribers, spread over the threads (default 1000)
  --rate R              events triggered per second (default 10)
  --event-bytes B       size of each event's data string (default 200)
  --duration S          measured seconds (default 20)
  --warmup S            seconds of events before measuring (default 2)
  --channel NAME        public channel (default bench)
  --spawn               start the server itself on free ports
  --target NAME         with --spawn: ${PUSHER_TARGETS.join(', ')} (default beamcast)
  --compare LIST        also run against soketi,pusher-uws (implies --spawn); side-by-side table
  --rounds N            every target N times in rotating order; ratios per round, median and range
  --ws-url URL          WebSocket base of a running server, e.g. ws://127.0.0.1:8081
  --http-url URL        its HTTP API base, e.g. http://127.0.0.1:8080 (also read for /metrics)
  --app ID:KEY:SECRET   the app on a running server (spawned servers get a generated one)
  --ramp S              connections opened per second (default 1000)
  --workers W           subscriber threads (default: CPU count, at most 4)
  --source-addresses N  spread subscribers over 127.0.0.1..N (default: one per 20000)
  --server-env K=V      extra env for a spawned beamcast (repeatable)
  --entry FILE          spawn this beamcast build (e.g. another checkout's dist/server/main.js)
  --profile DIR         spawned servers write a V8 CPU profile into DIR (node --cpu-prof)
  --json FILE           write every figure as JSON
  --no-progress         no live progress line
`;

/** `--scenario pusher` anywhere on the command line selects this scenario. */
export function isPusherScenario(argv: readonly string[]): boolean {
  const i = argv.findIndex((a) => a === '--scenario' || a.startsWith('--scenario='));
  if (i < 0) return false;
  const v = argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
  if (v !== 'pusher' && v !== 'relay') throw new OptionsError(`--scenario is relay or pusher, got ${JSON.stringify(v)}`);
  return v === 'pusher';
}

const target = (flag: string, raw: string): PusherTarget => {
  if (!(PUSHER_TARGETS as readonly string[]).includes(raw)) throw new OptionsError(`${flag}: unknown target ${JSON.stringify(raw)}; one of ${PUSHER_TARGETS.join(', ')}`);
  return raw as PusherTarget;
};

export function parsePusherOptions(argv: readonly string[], cpus = availableParallelism()): PusherOptions {
  const o: PusherOptions = {
    subscribers: 1000,
    rate: 10,
    eventBytes: 200,
    duration: 20,
    warmup: 2,
    channel: 'bench',
    spawn: false,
    wsUrl: null,
    httpUrl: null,
    app: { id: 'bench', key: 'bench-key', secret: 'bench-secret' },
    target: 'beamcast',
    compare: [],
    rounds: 1,
    ramp: 1000,
    workers: Math.max(1, Math.min(4, cpus)),
    sourceAddresses: 0,
    json: null,
    serverEnv: {},
    entry: null,
    profile: null,
    progress: true,
  };
  let appGiven = false;
  const num = numberOption;
  forEachFlag(argv, (flag, next) => {
    switch (flag) {
      case '--scenario': next(); break;
      case '--subscribers': o.subscribers = num(flag, next(), 1, 1_000_000, true); break;
      case '--rate': o.rate = num(flag, next(), 0.1, 10_000); break;
      case '--event-bytes': o.eventBytes = num(flag, next(), 64, 10_000, true); break;
      case '--duration': o.duration = num(flag, next(), 1, 86_400); break;
      case '--warmup': o.warmup = num(flag, next(), 0, 600); break;
      case '--channel': {
        o.channel = next();
        if (!/^[A-Za-z0-9_\-=@,.;]{1,164}$/.test(o.channel) || /^(private-|presence-|#)/.test(o.channel)) throw new OptionsError('--channel must be a public channel name');
        break;
      }
      case '--spawn': o.spawn = true; break;
      case '--target': o.target = target(flag, next()); break;
      case '--compare':
        o.compare = next().split(',').map((s) => s.trim()).filter(Boolean).map((s) => target(flag, s)).filter((t) => t !== 'beamcast');
        o.spawn = true;
        break;
      case '--rounds': o.rounds = num(flag, next(), 1, 100, true); break;
      case '--ws-url': o.wsUrl = next(); break;
      case '--http-url': o.httpUrl = next(); break;
      case '--app': {
        const parts = next().split(':');
        if (parts.length !== 3 || parts.some((p) => !p)) throw new OptionsError('--app takes ID:KEY:SECRET');
        o.app = { id: parts[0]!, key: parts[1]!, secret: parts[2]! };
        appGiven = true;
        break;
      }
      case '--ramp': o.ramp = num(flag, next(), 1, 1_000_000); break;
      case '--workers': o.workers = num(flag, next(), 1, 64, true); break;
      case '--source-addresses': o.sourceAddresses = num(flag, next(), 1, 250, true); break;
      case '--server-env': addServerEnv(o.serverEnv, next()); break;
      case '--entry': o.entry = resolve(next()); break;
      case '--profile': o.profile = next(); break;
      case '--json': o.json = next(); break;
      case '--no-progress': o.progress = false; break;
      default:
        throw new OptionsError(`unknown option ${JSON.stringify(flag)} for the pusher scenario; see --scenario pusher --help`);
    }
  });
  if (!o.spawn && !o.wsUrl) throw new OptionsError('give --ws-url and --http-url of a running server, or --spawn to start one');
  if (o.spawn && (o.wsUrl || o.httpUrl)) throw new OptionsError('--spawn and --ws-url/--http-url exclude each other');
  if (!o.spawn && (!o.httpUrl || !appGiven)) throw new OptionsError('a running server needs --http-url (its HTTP API) and --app ID:KEY:SECRET');
  if (o.target !== 'beamcast' && !o.spawn) throw new OptionsError('--target needs --spawn');
  if (o.entry && !o.spawn) throw new OptionsError('--entry needs --spawn');
  if (o.sourceAddresses === 0) o.sourceAddresses = Math.max(1, Math.ceil(o.subscribers / 20_000));
  return o;
}
