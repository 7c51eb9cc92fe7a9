// Runs the Pusher scenario against one target: start it (or use a running one), connect and
// subscribe every subscriber, measure the idle server, trigger events on a drift-free schedule
// (warm-up, then the measured window: seq range [warm-up + 1, warm-up + rate × duration]), wait
// for the window's events to arrive, collect. Every target gets the same wall-clock window (last
// trigger + 1 s, longer only while events are still on their way), so idle costs compare fairly.
import { Worker } from 'node:worker_threads';
import { bundleLoadtest } from './bundle.js';
import { Histogram } from './histogram.js';
import { wallNow } from './lean-socket.js';
import { buildPusherReport } from './pusher-build-report.js';
import type { PusherOptions, PusherTarget } from './pusher-options.js';
import type { PusherReport } from './pusher-report.js';
import { benchEventData, pusherPath } from './pusher-subscriber.js';
import { spawnPusherTarget } from './pusher-targets.js';
import { PusherTrigger } from './pusher-trigger.js';
import type { PusherProgress, PusherWorkerResult, PusherWorkerSetup, ToPusherWorker } from './pusher-worker-protocol.js';
import type { RunHooks } from './run.js';
import { machineCpu, metricsProbe, procProbe, type ServerProbe, type ServerSample } from './server-probe.js';
import { spawnTarget } from './spawn-target.js';
import { finishWorkers } from './finish-workers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const noProbe: ServerProbe = { source: 'none', sample: async () => ({ cpuSeconds: null, rssBytes: null, skippedFrames: null }) };
const EVENT = 'tick';
const IDLE_MS = 2000;

interface Server {
  host: string;
  wsPort: number;
  httpBase: string;
  probe: ServerProbe;
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(o: PusherOptions, name: PusherTarget, warnings: string[]): Promise<Server> {
  const nodeArgs = o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : [];
  if (!o.spawn) {
    const ws = new URL(o.wsUrl!);
    if (ws.protocol !== 'ws:' || !o.httpUrl!.startsWith('http:')) throw new Error('only ws:// and http:// URLs are supported (measure behind TLS termination with its plain ports)');
    const probe = (await metricsProbe(o.httpUrl!)) ?? noProbe;
    if (probe.source === 'none') warnings.push('server CPU and RSS unknown: the HTTP base has no /metrics; use --spawn');
    return { host: ws.hostname, wsPort: Number(ws.port || 80), httpBase: o.httpUrl!, probe, collectGarbage: async () => {}, stop: async () => {} };
  }
  if (name === 'beamcast') {
    const env = { PUSHER_APP_ID: o.app.id, PUSHER_APP_KEY: o.app.key, PUSHER_APP_SECRET: o.app.secret, ...o.serverEnv };
    const s = await spawnTarget('beamcast', { env, nodeArgs, entry: o.entry ?? undefined, maxFrameBytes: 0, maxFps: 30, chatRate: 1 });
    return { host: s.host, wsPort: s.wsPort, httpBase: `http://${s.host}:${s.httpPort}`, probe: procProbe(s.pid), collectGarbage: () => s.collectGarbage(), stop: () => s.stop() };
  }
  const s = await spawnPusherTarget(name, o.app, nodeArgs);
  return { host: s.host, wsPort: s.port, httpBase: `http://${s.host}:${s.port}`, probe: procProbe(s.pid), collectGarbage: () => s.collectGarbage(), stop: () => s.stop() };
}

export async function runPusherScenario(o: PusherOptions, name: PusherTarget, hooks: RunHooks = {}): Promise<PusherReport> {
  const bundle = await bundleLoadtest();
  const warnings: string[] = [];
  const server = await startServer(o, name, warnings);
  const { probe } = server;
  const warmupEvents = Math.ceil(o.rate * o.warmup);
  const windowEvents = Math.max(1, Math.round(o.rate * o.duration));
  const FIRST = warmupEvents + 1;
  const LAST = warmupEvents + windowEvents;
  const interval = 1000 / o.rate;
  const sourceAddresses = server.host.startsWith('127.') && o.sourceAddresses > 1 ? Array.from({ length: o.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`) : [];

  const workers: Worker[] = [];
  const exited = new Set<Worker>();
  const latest = new Map<number, PusherProgress>();
  const results = new Map<number, PusherWorkerResult>();
  const trigger = new PusherTrigger(server.httpBase, o.app);
  let sampler: NodeJS.Timeout | null = null;
  try {
    for (let i = 0; i < o.workers; i++) {
      const setup: PusherWorkerSetup = {
        index: i,
        host: server.host,
        port: server.wsPort,
        path: pusherPath(o.app.key),
        channel: o.channel,
        eventName: EVENT,
        sourceAddresses,
        windowFirstSeq: FIRST,
        windowLastSeq: LAST,
        textCapture: o.eventBytes + 1024,
      };
      const w = new Worker(bundle.pusherWorker, { workerData: setup });
      w.on('message', (m: PusherProgress | PusherWorkerResult) => (m.type === 'progress' ? latest.set(m.index, m) : results.set(m.index, m)));
      w.on('error', (err) => warnings.push(`subscriber thread ${i} failed: ${err.message}`));
      w.once('exit', () => exited.add(w));
      workers.push(w);
    }
    const sendAll = (msg: ToPusherWorker) => workers.forEach((w) => w.postMessage(msg));
    const totals = () => {
      const t = { attempted: 0, connected: 0, subscribed: 0, failed: 0, received: 0, complete: 0, done: latest.size === workers.length, latency: new Histogram() };
      for (const p of latest.values()) {
        t.attempted += p.attempted;
        t.connected += p.connected;
        t.subscribed += p.subscribed;
        t.failed += p.failed;
        t.received += p.windowReceived;
        t.complete += p.complete;
        t.done &&= p.connectDone;
        t.latency.merge(p.latency);
      }
      return t;
    };

    await sleep(500);
    await server.collectGarbage();
    const base = await probe.sample();

    // Subscribers: dealt round-robin to the threads.
    workers.forEach((w, i) => {
      const count = Math.floor(o.subscribers / workers.length) + (i < o.subscribers % workers.length ? 1 : 0);
      if (count > 0) w.postMessage({ cmd: 'connect', count, perSecond: o.ramp / workers.length } satisfies ToPusherWorker);
    });
    const deadline = Date.now() + (o.subscribers / o.ramp) * 1000 + 30_000;
    while (true) {
      await sleep(250);
      const t = totals();
      hooks.progress?.(`${name}: subscribed ${t.subscribed}/${o.subscribers}${t.failed ? `, ${t.failed} refused` : ''}`);
      if (t.done && t.attempted >= o.subscribers) break;
      if (Date.now() > deadline) {
        warnings.push(`only ${t.subscribed} of ${o.subscribers} subscribers subscribed in time`);
        break;
      }
    }
    await sleep(500);
    await server.collectGarbage();
    const idleStart = await probe.sample();
    const idleStartAt = wallNow();
    await sleep(IDLE_MS);
    const idleEnd = await probe.sample();
    const idleSeconds = (wallNow() - idleStartAt) / 1000;
    const subscribedAtStart = totals().subscribed;

    let peakRss = idleStart.rssBytes ?? 0;
    // A running server's /metrics costs it a few ms per scrape (process metrics read /proc, the
    // event-loop histogram): scraped rarely, so that the probe is not a load of its own.
    const every = probe.source === 'proc' ? 250 : 5000;
    sampler = setInterval(() => void probe.sample().then((s) => s.rssBytes && s.rssBytes > peakRss && (peakRss = s.rssBytes)), every);
    const late = new Histogram();
    const t0 = wallNow();
    let start: ServerSample = idleEnd;
    let startCpu = process.cpuUsage();
    let startMachine = machineCpu();
    let windowStart = t0;
    let lastProgress = 0;
    for (let seq = 1; seq <= LAST; seq++) {
      const due = t0 + (seq - 1) * interval;
      const wait = due - wallNow();
      if (wait > 0.5) await sleep(wait);
      if (seq === FIRST) {
        start = await probe.sample();
        startCpu = process.cpuUsage();
        startMachine = machineCpu();
        windowStart = wallNow();
        sendAll({ cmd: 'mark', name: 'start' });
      }
      const now = wallNow();
      if (seq >= FIRST) late.recordMs(now - due);
      trigger.trigger(o.channel, EVENT, (sentAt) => benchEventData(seq, sentAt, o.eventBytes));
      if (now - lastProgress >= 1000) {
        lastProgress = now;
        const t = totals();
        const phase = seq < FIRST ? 'warm-up' : `${((now - windowStart) / 1000).toFixed(0)}/${o.duration} s`;
        hooks.progress?.(`${name}: ${phase} · ${t.subscribed} subscribed · p99 ${t.latency.quantileMs(0.99).toFixed(1)} ms · triggers ${JSON.stringify(trigger.stats.statuses)}`);
      }
    }
    const lastTrigger = wallNow();
    // The window closes 1 s after the last trigger, or later while events are still arriving
    // (at most 15 s): until every subscriber has every window event, or none arrives for 2 s.
    await trigger.settled();
    let lastReceived = -1;
    let quietSince = wallNow();
    while (wallNow() - lastTrigger < 15_000) {
      await sleep(50);
      const t = totals();
      if (t.received !== lastReceived) {
        lastReceived = t.received;
        quietSince = wallNow();
      }
      const allIn = t.complete >= t.subscribed;
      if (wallNow() - lastTrigger >= 1000 && (allIn || wallNow() - quietSince > 2000)) break;
    }
    const windowEnd = wallNow();
    sendAll({ cmd: 'mark', name: 'end' });
    const end = await probe.sample();
    const endCpu = process.cpuUsage(startCpu);
    const endMachine = machineCpu();
    clearInterval(sampler);
    sampler = null;
    if (end.rssBytes && end.rssBytes > peakRss) peakRss = end.rssBytes;

    sendAll({ cmd: 'finish' });
    const until = Date.now() + 15_000;
    while (results.size < workers.length && Date.now() < until) await sleep(50);
    if (results.size < workers.length) throw new Error(`only ${results.size} of ${workers.length} subscriber threads reported. ${warnings.join('; ')}`);

    return buildPusherReport({
      o, name, results: [...results.values()], windowEvents, firstSeq: FIRST, subscribedAtStart, trigger: trigger.stats,
      base, idleStart, idleEnd, idleSeconds, start, end, peakRss, wallSeconds: (windowEnd - windowStart) / 1000,
      genCpuSeconds: (endCpu.user + endCpu.system) / 1e6,
      machine: startMachine && endMachine ? ((endMachine.busy - startMachine.busy) / Math.max(1, endMachine.total - startMachine.total)) * 100 : null,
      triggerLateP99: late.quantileMs(0.99), interval, warnings, probeSource: probe.source,
    });
  } finally {
    if (sampler) clearInterval(sampler);
    trigger.close();
    await finishWorkers(workers, exited, { cmd: 'finish' } satisfies ToPusherWorker);
    await server.stop();
  }
}
