// Abuse benchmark for the WebSocket side: npm run bench:abuse-ws -- [options]
//
// Each abuse runs next to an honest room: room `honest` has a broadcaster at --fps with frames of
// about --frame-kb and one viewer that reads everything and pings every --ping-ms. The abuse
// targets another room, `abused`, and the honest viewer's figures are compared, within the run,
// between a window without the abuse, windows with it, and a window after it stopped.
//
// 1. history flood: `abused` is live and its chat holds CHAT_HISTORY (500) messages of
//    MAX_CHAT_LENGTH (500) control characters, each escaped to six bytes in JSON, so a history
//    reply is as large as the server makes one. --flooders viewers of `abused` send
//    {"type":"history","since":0} as fast as their socket takes them, reading every reply.
// 2. quality storm: `abused` is live (the same stream as `honest`). --viewers viewers of it that
//    never read connect (window "deaf viewers"), then each switches tier --switches times,
//    one every --switch-ms (window "switching").
//
// The server is spawned (loadtest/spawn-target.ts), the abusers run in a child process
// (loadtest/abuse-ws-clients.ts) and the honest clients here, so none takes CPU from another's
// event loop. `--target LABEL=FILE` (repeatable) runs another build's dist/server/main.js as well,
// e.g. an older checkout's; with --rounds N the targets alternate N times. `--via-nginx` puts
// the shipped deploy/nginx/beamcast.conf in front, as a deployment has it, with the abusers on
// another loopback address (127.0.0.2) than the honest clients, so the proxy's per-address
// limits apply to them alone.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nginxSiteFor } from '../test/helpers/deploy-files.js';
import { startNginx, type NginxServer } from '../test/helpers/nginx-server.js';
import type { AbuseCommand, AbuseReply, AbuseStats } from './abuse-ws-clients.js';
import { HonestViewer, PacedBroadcaster, fillChat } from './abuse-ws-honest.js';
import { phaseFigures, printRun, printSummary, type PhaseMark, type RunResult, type ScenarioResult } from './abuse-ws-report.js';
import { ServerSampler } from './abuse-ws-sampler.js';
import { generatedJpegs } from './jpeg-frames.js';
import { freePort, spawnTarget, type SpawnedTarget } from './spawn-target.js';

export interface Options {
  targets: { label: string; entry?: string }[];
  rounds: number;
  scenarios: ('history' | 'quality')[];
  fps: number;
  frameKb: number;
  windowSec: number;
  pingMs: number;
  flooders: number;
  viewers: number;
  switches: number;
  switchMs: number;
  viaNginx: boolean;
  json?: string;
}

const ABUSER_ADDRESS = '127.0.0.2';
// Set-up clients that fill the abused room's chat: yet another address.
const FILLER_ADDRESS = '127.0.0.3'; // and the next ones, one per batch

const HERE = dirname(fileURLToPath(import.meta.url));
// The defaults of MAX_CHAT_LENGTH and CHAT_HISTORY, on every version measured.
const CHAT_LENGTH = 500;
const CHAT_MESSAGES = 500;
const CHAT_BURST = 5;

const USAGE =
  'options: --target LABEL=FILE (repeatable; FILE empty: this checkout) --entry FILE --label TEXT --rounds N --only history|quality ' +
  '--window S --fps N --frame-kb N --ping-ms N --flooders N --viewers N --switches N --switch-ms N --via-nginx --json FILE';

function parseArgs(argv: string[]): Options {
  const o: Options = { targets: [], rounds: 1, scenarios: ['history', 'quality'], fps: 15, frameKb: 50, windowSec: 10, pingMs: 500, flooders: 10, viewers: 60, switches: 100, switchMs: 20, viaNginx: false };
  let entry: string | undefined;
  let label = 'this checkout';
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    const num = () => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${k} needs a positive number`);
      i++;
      return n;
    };
    if (k === '--target') {
      const eq = v?.indexOf('=') ?? -1;
      if (eq <= 0) throw new Error('--target needs LABEL=FILE');
      const file = v!.slice(eq + 1);
      o.targets.push({ label: v!.slice(0, eq), entry: file ? resolve(file) : undefined });
      i++;
    } else if (k === '--entry') (entry = resolve(v!)), i++;
    else if (k === '--label') (label = v!), i++;
    else if (k === '--json') (o.json = v!), i++;
    else if (k === '--via-nginx') o.viaNginx = true;
    else if (k === '--only') {
      if (v !== 'history' && v !== 'quality') throw new Error('--only takes history or quality');
      o.scenarios = [v];
      i++;
    } else if (k === '--rounds') o.rounds = num();
    else if (k === '--window') o.windowSec = num();
    else if (k === '--fps') o.fps = num();
    else if (k === '--frame-kb') o.frameKb = num();
    else if (k === '--ping-ms') o.pingMs = num();
    else if (k === '--flooders') o.flooders = num();
    else if (k === '--viewers') o.viewers = num();
    else if (k === '--switches') o.switches = num();
    else if (k === '--switch-ms') o.switchMs = num();
    else throw new Error(`unknown option ${k}; ${USAGE}`);
  }
  if (o.targets.length === 0) o.targets.push({ label, entry });
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The abusers' process and a one-request-at-a-time channel to it. */
class Abusers {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor() {
    // Inherits this process's `--import tsx`, so it runs the TypeScript source.
    this.child = fork(join(HERE, 'abuse-ws-clients.ts'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
  }

  ask(cmd: AbuseCommand, timeoutMs = 60_000): Promise<AbuseReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`abusers did not answer ${cmd.cmd}`)), timeoutMs);
      this.child.once('message', (m: AbuseReply) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.send(cmd);
    });
  }

  async stats(cmd: 'report' | 'stop'): Promise<AbuseStats> {
    const r = await this.ask({ cmd });
    if (r.kind !== 'stats') throw new Error('abusers answered without stats');
    return r.stats;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    await this.exited;
  }
}

interface Setup {
  target: SpawnedTarget;
  camHonest: PacedBroadcaster;
  viewer: HonestViewer;
  camAbused: PacedBroadcaster;
  sampler: ServerSampler;
  abusers: Abusers;
  marks: PhaseMark[];
}

/**
 * Runs one measured window. With abusers, their counters are read before `begin` (which sets the
 * abuse going) and at the end, so the window's figures include what it took to start.
 */
async function window(s: Setup, name: string, seconds: number, withAbusers: boolean, begin?: () => Promise<unknown>): Promise<void> {
  const before = withAbusers ? await s.abusers.stats('report') : null;
  await begin?.();
  const mark: PhaseMark = { name, t0: Date.now(), t1: 0, seq0: s.camHonest.seq, seq1: 0, abuseBefore: before, abuseAfter: null };
  await sleep(seconds * 1000);
  mark.t1 = Date.now();
  mark.seq1 = s.camHonest.seq;
  mark.abuseAfter = withAbusers ? await s.abusers.stats('report') : null;
  s.marks.push(mark);
}

async function scenario(o: Options, entry: string | undefined, name: 'history' | 'quality'): Promise<ScenarioResult> {
  // The server's own limit on new connections per address, as shipped (the load generator's
  // default turns it off): it is what ends a flood that reconnects to start a fresh budget.
  const env: Record<string, string> = { CONNECT_RATE: '5', CONNECT_BURST: '30', ...(o.viaNginx ? { TRUST_PROXY: 'true' } : {}) };
  const target = await spawnTarget('beamcast', { entry, env, maxFrameBytes: 1024 * 1024, maxFps: 30, chatRate: 1 });
  let nginx: NginxServer | null = null;
  const parts: Partial<Setup> = { target, marks: [] };
  try {
    if (o.viaNginx) {
      const port = await freePort();
      nginx = await startNginx(nginxSiteFor(target.httpPort!, target.wsPort, port), port);
    }
    const ep = { host: target.host, port: nginx ? nginx.port : target.wsPort };
    // Abusers come from their own address, so the per-address limits meet them, not the honest clients.
    const abuseAt = { ...ep, localAddress: ABUSER_ADDRESS, room: 'abused' };
    const jpegs = await generatedJpegs(o.frameKb * 1000);
    parts.camHonest = await PacedBroadcaster.connect(ep, 'honest', target.key('honest'));
    parts.viewer = await HonestViewer.connect(ep, 'honest', o.pingMs);
    parts.camAbused = await PacedBroadcaster.connect(ep, 'abused', target.key('abused'));
    if (name === 'history') {
      // The room went live with its broadcaster, so it keeps CHAT_HISTORY messages.
      const cam = parts.camAbused;
      // Straight to the server: filling the chat is set-up, not what is measured.
      await fillChat({ host: target.host, port: target.wsPort, localAddress: FILLER_ADDRESS }, 'abused', '\u0001'.repeat(CHAT_LENGTH), CHAT_MESSAGES / CHAT_BURST, CHAT_BURST);
      await until('the abused room\'s chat to fill', () => cam.chatSeen >= CHAT_MESSAGES, 30_000);
    } else {
      parts.camAbused.start(jpegs, o.fps);
    }
    parts.camHonest.start(jpegs, o.fps);
    parts.sampler = new ServerSampler(target.pid, `http://${target.host}:${target.httpPort}/metrics`);
    parts.abusers = new Abusers();
    const s = parts as Setup;
    s.sampler.start();
    await sleep(2000);
    await window(s, 'without', o.windowSec, false);
    if (name === 'history') {
      await window(s, 'with flood', o.windowSec, true, () => s.abusers.ask({ cmd: 'flood', ...abuseAt, connections: o.flooders }));
    } else {
      const storm: AbuseCommand = { cmd: 'storm', ...abuseAt, connections: o.viewers, switches: o.switches, switchMs: o.switchMs, tiers: ['sd', 'source'] };
      await window(s, 'deaf viewers', o.windowSec, true, () => s.abusers.ask(storm));
      await window(s, 'switching', o.windowSec, true, () => s.abusers.ask({ cmd: 'switch' }));
    }
    await s.abusers.stats('stop');
    await window(s, 'after', o.windowSec, false);
    await s.sampler.stop();
    if (s.camHonest.closed !== null || s.camAbused.closed !== null) throw new Error('a broadcaster was closed by the server');
    return {
      scenario: name,
      honestCloses: s.viewer.closes,
      phases: s.marks.map((m) => phaseFigures(m, s.viewer, s.sampler.samples, s.marks[0]!)),
    };
  } finally {
    await parts.sampler?.stop();
    await parts.abusers?.kill();
    parts.camHonest?.stop();
    parts.camAbused?.stop();
    parts.viewer?.stop();
    await nginx?.stop();
    await target.stop();
  }
}

/** The machine's 1, 5 and 15 minute load averages: how busy the shared machine was. */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const out = (line = '') => process.stdout.write(line + '\n');
  const runs: RunResult[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    for (const t of o.targets) {
      const run: RunResult = { label: o.viaNginx ? `${t.label}, via nginx` : t.label, entry: t.entry ?? null, round, startedAt: new Date().toISOString(), loadBefore: loadAverage(), scenarios: [] };
      for (const name of o.scenarios) run.scenarios.push(await scenario(o, t.entry, name));
      run.loadAfter = loadAverage();
      runs.push(run);
      printRun(out, run, o);
    }
  }
  if (runs.length > 1) printSummary(out, runs);
  if (o.json) writeFileSync(o.json, JSON.stringify({ options: o, runs }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:abuse-ws: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
