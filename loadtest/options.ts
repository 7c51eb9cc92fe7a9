// Command-line options of `npm run loadtest`. Parsing is pure so it can be tested.
import { availableParallelism } from 'node:os';
import { TARGETS, type TargetName } from './dialect.js';
import { OptionsError, addServerEnv, forEachFlag, numberOption } from './argv.js';

export interface LoadtestOptions {
  viewers: number;
  fps: number;
  frameKb: number;
  duration: number;
  warmup: number;
  wsUrl: string | null;
  httpUrl: string | null;
  room: string;
  key: string;
  spawn: boolean;
  target: TargetName;
  compare: TargetName[];
  rounds: number;
  /** beamcast nodes sharing rooms through a spawned redis-server (1: one server, no Redis). */
  nodes: number;
  /** Also run the scenario with these node counts (the first is the reference). */
  compareNodes: number[];
  /** Also run the scenario with these viewer counts (the first is the reference). */
  compareViewers: number[];
  lateJoiners: number;
  chatters: number;
  chatRate: number;
  slowViewers: number;
  ramp: number;
  workers: number;
  sourceAddresses: number;
  json: string | null;
  frames: string | null;
  serverEnv: Record<string, string>;
  profile: string | null;
  progress: boolean;
}

export const HELP = `Usage: npm run loadtest -- [options]

Simulates viewers (and a broadcaster) against a beamcast server and reports what they get.
(--scenario pusher: Pusher protocol subscribers and HTTP API triggers instead; --scenario pusher --help.)

  --viewers N           viewers that stay for the whole run (default 100)
  --fps F               frames per second the broadcaster sends (default 15)
  --frame-kb K          JPEG size in KB, generated once with sharp (default 50)
  --frames DIR          send the .jpg files of DIR instead
  --duration S          measured seconds of streaming (default 30)
  --warmup S            seconds streamed before measuring (default 2)
  --ws-url URL          WebSocket base of a running server, e.g. ws://127.0.0.1:8081
  --http-url URL        its HTTP base, for /metrics (server CPU and RSS), e.g. http://127.0.0.1:8080
  --room NAME           room to use (default loadtest)
  --key KEY             the room's stream key (npm run stream-key -- NAME)
  --spawn               start the server itself on free ports (dist/server/main.js)
  --target NAME         with --spawn: what to start: ${TARGETS.join(', ')} (default beamcast)
  --compare LIST        also run the same scenario against baselines (implies --spawn),
                        e.g. bare-uws,ws,socketio,paper; prints a side-by-side table
  --rounds N            run every target N times in rotating order; the table shows medians
  --nodes N             with --spawn: N beamcast nodes sharing rooms through a redis-server
                        started on a free port; viewers are dealt round-robin over the nodes,
                        the broadcaster is on the first; reports same-node and cross-node
                        figures, Redis bytes per second and CPU per GB per node (default 1)
  --compare-nodes LIST  run the scenario once per node count, e.g. 1,3 (implies --spawn);
                        prints a side-by-side table with ratios to the first
  --compare-viewers LIST  run the scenario once per viewer count, e.g. 500,1500; with
                        --compare-nodes, every combination
  --late-joiners N      viewers joining during the run; times their first frame (default 0)
  --chatters N          viewers that also chat; delivery checked by id (default 0)
  --chat-rate R         chat messages per second per chatter (default 1)
  --slow-viewers P      fraction of viewers that stop reading halfway through the window (default 0)
  --ramp S              connections opened per second (default 1000)
  --workers W           viewer threads (default: CPU count, at most 4)
  --source-addresses N  spread viewers over 127.0.0.1..N (default: one per 20000 viewers)
  --server-env K=V      extra env for a spawned beamcast (repeatable)
  --profile DIR         spawned servers write a V8 CPU profile into DIR (node --cpu-prof)
  --json FILE           write every figure as JSON
  --no-progress         no live progress line
`;

export { OptionsError } from './argv.js';

/** Nodes one machine's load test can sensibly start. */
export const MAX_NODES = 16;

export function parseOptions(argv: readonly string[], cpus = availableParallelism()): LoadtestOptions {
  const o: LoadtestOptions = {
    viewers: 100,
    fps: 15,
    frameKb: 50,
    duration: 30,
    warmup: 2,
    wsUrl: null,
    httpUrl: null,
    room: 'loadtest',
    key: '',
    spawn: false,
    target: 'beamcast',
    compare: [],
    rounds: 1,
    nodes: 1,
    compareNodes: [],
    compareViewers: [],
    lateJoiners: 0,
    chatters: 0,
    chatRate: 1,
    slowViewers: 0,
    ramp: 1000,
    workers: Math.max(1, Math.min(4, cpus)),
    sourceAddresses: 0,
    json: null,
    frames: null,
    serverEnv: {},
    profile: null,
    progress: true,
  };
  const num = numberOption;
  const list = (flag: string, raw: string, min: number, max: number): number[] => {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean).map((s) => num(flag, s, min, max, true));
    if (items.length === 0) throw new OptionsError(`${flag} needs a comma-separated list, got ${JSON.stringify(raw)}`);
    return [...new Set(items)];
  };
  const target = (flag: string, raw: string): TargetName => {
    if (!(TARGETS as readonly string[]).includes(raw)) throw new OptionsError(`${flag}: unknown target ${JSON.stringify(raw)}; one of ${TARGETS.join(', ')}`);
    return raw as TargetName;
  };
  forEachFlag(argv, (flag, next) => {
    switch (flag) {
      case '--scenario': next(); break;
      case '--viewers': o.viewers = num(flag, next(), 0, 1_000_000, true); break;
      case '--fps': o.fps = num(flag, next(), 0.1, 240); break;
      case '--frame-kb': o.frameKb = num(flag, next(), 1, 16_384); break;
      case '--frames': o.frames = next(); break;
      case '--duration': o.duration = num(flag, next(), 1, 86_400); break;
      case '--warmup': o.warmup = num(flag, next(), 0, 600); break;
      case '--ws-url': o.wsUrl = next(); break;
      case '--http-url': o.httpUrl = next(); break;
      case '--room': o.room = next(); break;
      case '--key': o.key = next(); break;
      case '--spawn': o.spawn = true; break;
      case '--target': o.target = target(flag, next()); break;
      case '--compare':
        o.compare = next().split(',').map((s) => s.trim()).filter(Boolean).map((s) => target(flag, s)).filter((t) => t !== 'beamcast');
        o.spawn = true;
        break;
      case '--rounds': o.rounds = num(flag, next(), 1, 100, true); break;
      case '--nodes': o.nodes = num(flag, next(), 1, MAX_NODES, true); break;
      case '--compare-nodes':
        o.compareNodes = list(flag, next(), 1, MAX_NODES);
        o.spawn = true;
        break;
      case '--compare-viewers': o.compareViewers = list(flag, next(), 0, 1_000_000); break;
      case '--late-joiners': o.lateJoiners = num(flag, next(), 0, 100_000, true); break;
      case '--chatters': o.chatters = num(flag, next(), 0, 100_000, true); break;
      case '--chat-rate': o.chatRate = num(flag, next(), 0.01, 1000); break;
      case '--slow-viewers': o.slowViewers = num(flag, next(), 0, 1); break;
      case '--ramp': o.ramp = num(flag, next(), 1, 1_000_000); break;
      case '--workers': o.workers = num(flag, next(), 1, 64, true); break;
      case '--source-addresses': o.sourceAddresses = num(flag, next(), 1, 250, true); break;
      case '--server-env': addServerEnv(o.serverEnv, next()); break;
      case '--profile': o.profile = next(); break;
      case '--json': o.json = next(); break;
      case '--no-progress': o.progress = false; break;
      default:
        throw new OptionsError(`unknown option ${JSON.stringify(flag)}; see --help`);
    }
  });
  if (!o.spawn && !o.wsUrl) throw new OptionsError('give --ws-url of a running server, or --spawn to start one');
  if (o.spawn && o.wsUrl) throw new OptionsError('--spawn and --ws-url exclude each other');
  if (o.target !== 'beamcast' && !o.spawn) throw new OptionsError('--target needs --spawn');
  if (o.compareNodes.length > 0) o.nodes = o.compareNodes[0]!;
  if (o.compareViewers.length > 0) o.viewers = o.compareViewers[0]!;
  const clustered = o.nodes > 1 || o.compareNodes.some((n) => n > 1);
  if (clustered && !o.spawn) throw new OptionsError('--nodes needs --spawn: the load generator starts redis-server and the nodes itself');
  if (clustered && (o.target !== 'beamcast' || o.compare.length > 0)) throw new OptionsError('--nodes and --compare-nodes measure beamcast only; leave out --target and --compare');
  const fewestViewers = Math.min(o.viewers, ...o.compareViewers);
  if (o.chatters > fewestViewers) throw new OptionsError('--chatters cannot exceed --viewers');
  if (!o.spawn && o.target === 'beamcast' && !o.key) throw new OptionsError('--key is needed to broadcast to a running beamcast (npm run stream-key -- ROOM)');
  if (o.sourceAddresses === 0) o.sourceAddresses = Math.max(1, Math.ceil((Math.max(o.viewers, ...o.compareViewers) + o.lateJoiners) / 20_000));
  return o;
}
