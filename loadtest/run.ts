// Runs one scenario against one target: connect, idle, stream (warm-up, then the measured
// window), drain, collect. Frames are numbered, so the measured window is the seq range
// [warm-up + 1, warm-up + fps × duration] and every viewer knows what it should have received.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeFrame } from '../src/protocol/frame-header.js';
import { bundleLoadtest } from './bundle.js';
import { classifyText, framePreamble, wsPath, type TargetName } from './dialect.js';
import { Histogram, type HistogramData } from './histogram.js';
import { generatedJpegs, loadJpegs } from './jpeg-frames.js';
import { LeanSocket, wallNow } from './lean-socket.js';
import type { LoadtestOptions } from './options.js';
import type { Report } from './report.js';
import { combinedProbe, machineCpu, metricsProbe, procProbe, type ServerProbe, type ServerSample } from './server-probe.js';
import { spawnTarget, type SpawnedTarget } from './spawn-target.js';
import { cpuPercent, fpsFigures, quantile, ratio } from './stats.js';
import type { Progress, ToWorker, ViewerKind, WorkerResult, WorkerSetup } from './worker-protocol.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const noProbe: ServerProbe = { source: 'none', sample: async () => ({ cpuSeconds: null, rssBytes: null, skippedFrames: null }) };

export interface RunHooks {
  /** Live status, about once a second. */
  progress?(line: string): void;
}

export async function runScenario(o: LoadtestOptions, targetName: TargetName, hooks: RunHooks = {}): Promise<Report> {
  const jpegs = o.frames ? await loadJpegs(o.frames) : await generatedJpegs(Math.round(o.frameKb * 1024));
  const frameBytes = Math.round(jpegs.reduce((a, b) => a + b.length, 0) / jpegs.length) + 24;
  const bundle = await bundleLoadtest();
  const warnings: string[] = [];

  let spawned: SpawnedTarget | null = null;
  let host: string;
  let port: number;
  let key = o.key;
  let probe: ServerProbe = noProbe;
  if (o.spawn) {
    const nodeArgs = o.profile ? ['--cpu-prof', '--cpu-prof-dir', o.profile, '--cpu-prof-name', `${targetName}-${Date.now()}.cpuprofile`] : [];
    spawned = await spawnTarget(targetName, {
      env: o.serverEnv,
      nodeArgs,
      maxFrameBytes: Math.max(...jpegs.map((j) => j.length)) * 2,
      maxFps: Math.ceil(o.fps * 2),
      chatRate: o.chatRate,
    });
    host = spawned.host;
    port = spawned.wsPort;
    key = spawned.key(o.room);
    const metrics = spawned.httpPort ? await metricsProbe(`http://${host}:${spawned.httpPort}`) : null;
    probe = combinedProbe(procProbe(spawned.pid), metrics);
  } else {
    const u = new URL(o.wsUrl!);
    host = u.hostname;
    port = Number(u.port || (u.protocol === 'wss:' ? 443 : 80));
    if (u.protocol !== 'ws:') throw new Error('only ws:// URLs are supported (measure behind TLS termination with its plain port)');
    probe = (o.httpUrl ? await metricsProbe(o.httpUrl) : null) ?? noProbe;
    if (probe.source === 'none') warnings.push('server CPU and RSS unknown: give --http-url of a server with /metrics, or use --spawn');
  }

  const warmupFrames = Math.ceil(o.fps * o.warmup);
  const windowFrames = Math.max(1, Math.round(o.fps * o.duration));
  const FIRST = warmupFrames + 1;
  const LAST = warmupFrames + windowFrames;
  const interval = 1000 / o.fps;
  const sourceAddresses = Array.from({ length: o.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`);

  const workers: Worker[] = [];
  const latest = new Map<number, Progress>();
  const results = new Map<number, WorkerResult>();
  const resultWaiters: (() => void)[] = [];
  let broadcaster: LeanSocket | null = null;
  const frameRefusals: FrameRefusals = {};
  const sampler: { timer: NodeJS.Timeout | null } = { timer: null };
  try {
    for (let i = 0; i < o.workers; i++) {
      const setup: WorkerSetup = {
        index: i,
        target: targetName,
        host,
        port,
        room: o.room,
        sourceAddresses,
        windowFirstSeq: FIRST,
        windowLastSeq: LAST,
        slowStopSeq: FIRST + Math.floor(windowFrames / 2),
      };
      const w = new Worker(bundle.worker, { workerData: setup });
      w.on('message', (m: Progress | WorkerResult) => {
        if (m.type === 'progress') latest.set(m.index, m);
        else {
          results.set(m.index, m);
          resultWaiters.splice(0).forEach((f) => f());
        }
      });
      w.on('error', (err) => warnings.push(`viewer thread ${i} failed: ${err.message}`));
      workers.push(w);
    }
    const send = (i: number, msg: ToWorker) => workers[i]!.postMessage(msg);
    const sendAll = (msg: ToWorker) => workers.forEach((w) => w.postMessage(msg));

    await sleep(500);
    await spawned?.collectGarbage();
    const base = await probe.sample();

    // The broadcaster: one connection from this thread, frames on a drift-free schedule.
    broadcaster = await openBroadcaster(targetName, host, port, wsPath(targetName, o.room, 'broadcaster', key), frameRefusals);

    // Viewers: kinds spread evenly, then dealt round-robin to the threads.
    const kinds: ViewerKind[] = [];
    const slowCount = Math.round(o.viewers * o.slowViewers);
    for (let i = 0; i < o.viewers; i++) {
      const slow = Math.floor(((i + 1) * slowCount) / o.viewers) > Math.floor((i * slowCount) / o.viewers);
      kinds.push(slow ? 'slow' : 'viewer');
    }
    for (let i = 0, placed = 0; placed < o.chatters && i < kinds.length; i++) {
      if (kinds[i] === 'viewer') {
        kinds[i] = 'chatter';
        placed++;
      }
    }
    const shares: ViewerKind[][] = workers.map(() => []);
    kinds.forEach((k, i) => shares[i % workers.length]!.push(k));

    const totals = () => {
      let connected = 0, attempted = 0, failed = 0, frames = 0, done = true;
      const relay = new Histogram();
      for (const p of latest.values()) {
        connected += p.connected;
        attempted += p.attempted;
        failed += p.failed;
        frames += p.windowFrames;
        done &&= p.connectDone;
        relay.merge(p.relay);
      }
      return { connected, attempted, failed, frames, done: done && latest.size === workers.length, relay };
    };
    const connectAll = async (batch: ViewerKind[][]) => {
      batch.forEach((s, i) => s.length && send(i, { cmd: 'connect', kinds: s, perSecond: o.ramp / workers.length }));
      const want = totals().attempted + batch.reduce((a, s) => a + s.length, 0);
      const deadline = Date.now() + (o.viewers / o.ramp) * 1000 + 30_000;
      while (true) {
        await sleep(250);
        const t = totals();
        hooks.progress?.(`${targetName}: connecting ${t.connected}/${o.viewers}${t.failed ? `, ${t.failed} failed` : ''}`);
        if (t.done && t.attempted >= want) break;
        if (Date.now() > deadline) {
          warnings.push(`only ${t.connected} of ${o.viewers} viewers connected in time`);
          break;
        }
      }
      await sleep(1000);
      await spawned?.collectGarbage();
      return { sample: await probe.sample(), viewers: totals().connected };
    };
    // Two halves, memory sampled after each: the difference is what one more idle viewer
    // costs, free of one-time growth (heap spaces sized up by the connection burst, code).
    const half = await connectAll(shares.map((s) => s.slice(0, Math.ceil(s.length / 2))));
    const full = await connectAll(shares.map((s) => s.slice(Math.ceil(s.length / 2))));
    const idle = full.sample;
    const idleViewers = full.viewers;

    // Stream.
    let peakRss = idle.rssBytes ?? 0;
    sampler.timer = setInterval(() => {
      void probe.sample().then((s) => {
        if (s.rssBytes && s.rssBytes > peakRss) peakRss = s.rssBytes;
      });
    }, 250);
    const late = new Histogram();
    const t0 = wallNow();
    let startSample: Promise<ServerSample> = Promise.resolve(base);
    let startCpu = process.cpuUsage();
    let startMachine = machineCpu();
    let windowStart = t0;
    let lastProgress = 0;
    let lastFrames = 0;
    const preamble = framePreamble(targetName);
    for (let seq = 1; seq <= LAST; seq++) {
      const due = t0 + (seq - 1) * interval;
      const wait = due - wallNow();
      if (wait > 0.5) await sleep(wait);
      if (seq === FIRST) {
        startSample = probe.sample();
        startCpu = process.cpuUsage();
        startMachine = machineCpu();
        windowStart = wallNow();
        sendAll({ cmd: 'mark', name: 'start' });
        if (o.lateJoiners > 0) {
          // Late joiners arrive spread over the middle 80% of the window.
          const delays: number[][] = workers.map(() => []);
          for (let k = 0; k < o.lateJoiners; k++) delays[k % workers.length]!.push(o.duration * 1000 * (0.1 + (0.8 * (k + 0.5)) / o.lateJoiners));
          delays.forEach((d, i) => d.length && send(i, { cmd: 'late', delaysMs: d }));
        }
        if (o.chatters > 0) sendAll({ cmd: 'chat', perSecond: o.chatRate, stopAfterMs: Math.max(0, o.duration * 1000 - 1000), textBytes: 60 });
      }
      const now = wallNow();
      if (seq >= FIRST) late.recordMs(now - due);
      if (preamble) broadcaster.sendText(preamble);
      broadcaster.sendBinary(encodeFrame(jpegs[seq % jpegs.length]!, seq, now));
      if (now - lastProgress >= 1000) {
        const t = totals();
        const measured = Math.max(1, t.connected - Math.round(slowCount));
        const fps = lastProgress && seq > FIRST ? (t.frames - lastFrames) / ((now - lastProgress) / 1000) / measured : 0;
        lastFrames = t.frames;
        lastProgress = now;
        const phase = seq < FIRST ? 'warm-up' : `${((now - windowStart) / 1000).toFixed(0)}/${o.duration} s`;
        hooks.progress?.(
          `${targetName}: ${phase} · ${t.connected}/${o.viewers + o.lateJoiners} connected · ${fps.toFixed(1)} fps delivered · p99 ${t.relay.quantileMs(0.99).toFixed(1)} ms · errors ${t.failed}`,
        );
      }
      if (!broadcaster.isOpen) {
        warnings.push(`the broadcaster connection closed at frame ${seq}`);
        break;
      }
    }
    // Drain: until the last frame has reached every thread (a server that fell behind the
    // broadcaster is still relaying the window), then a little longer for the slowest viewer.
    const drainDeadline = Date.now() + 15_000;
    while (Date.now() < drainDeadline && [...latest.values()].some((p) => p.lastSeq < LAST)) await sleep(100);
    await sleep(Math.max(500, interval * 3));
    const windowEnd = wallNow();
    sendAll({ cmd: 'mark', name: 'end' });
    const endSample = await probe.sample();
    const endCpu = process.cpuUsage(startCpu);
    const endMachine = machineCpu();
    clearInterval(sampler.timer);
    sampler.timer = null;
    const start = await startSample;
    if (endSample.rssBytes && endSample.rssBytes > peakRss) peakRss = endSample.rssBytes;

    sendAll({ cmd: 'finish' });
    const deadline = Date.now() + 15_000;
    while (results.size < workers.length && Date.now() < deadline) await new Promise<void>((r) => (resultWaiters.push(r), setTimeout(r, 200)));
    if (results.size < workers.length) throw new Error(`only ${results.size} of ${workers.length} viewer threads reported. ${warnings.join("; ")}`);

    return buildReport({
      o, targetName, spawned: spawned !== null, frameBytes, windowFrames, workers: workers.length, sourceAddresses: sourceAddresses.length,
      results: [...results.values()], base, idle, idleViewers, half: half.sample, halfViewers: half.viewers, start, end: endSample, peakRss,
      wallSeconds: (windowEnd - windowStart) / 1000, genCpuSeconds: (endCpu.user + endCpu.system) / 1e6,
      machine: startMachine && endMachine ? ((endMachine.busy - startMachine.busy) / Math.max(1, endMachine.total - startMachine.total)) * 100 : null,
      senderLateP99: late.quantileMs(0.99), interval, warnings, probeSource: probe.source, frameRefusals,
    });
  } finally {
    if (sampler.timer) clearInterval(sampler.timer);
    broadcaster?.close();
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => void w.terminate(), 5000);
            w.once('exit', () => (clearTimeout(t), resolve()));
            w.postMessage({ cmd: 'finish' } satisfies ToWorker);
          }),
      ),
    );
    await spawned?.stop();
  }
}

/** Errors the server sent the broadcaster, by code, counting the ones it reported as `dropped`. */
type FrameRefusals = Record<string, number>;

function openBroadcaster(target: TargetName, host: string, port: number, path: string, refusals: FrameRefusals): Promise<LeanSocket> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => reject(new Error('the broadcaster could not connect within 10 s')), 10_000);
    const done = (conn: LeanSocket) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      resolve(conn);
    };
    new LeanSocket(
      { host, port, path },
      {
        // Socket.IO is ready once the namespace is joined (the "40" answer), the others at once.
        open: (conn) => target !== 'socketio' && done(conn),
        binary: () => {},
        text: (conn, bytes, len, total) => {
          if (classifyText(target, conn, bytes, len, total) === 'welcome' && target === 'socketio') done(conn);
          if (target === 'beamcast' && total === len && bytes[2] === 0x74 /* {"type":"error" */) {
            try {
              const m = JSON.parse(Buffer.from(bytes.subarray(0, len)).toString()) as { type?: string; code?: string; dropped?: number };
              if (m.type === 'error' && m.code) refusals[m.code] = (refusals[m.code] ?? 0) + 1 + (m.dropped ?? 0);
            } catch {
              // not JSON: ignore
            }
          }
        },
        refused: (_c, status, code) => {
          clearTimeout(timer);
          reject(new Error(`the broadcaster was refused: ${status} ${code}`));
        },
        closed: (_c, code, reason) => {
          if (!ready) {
            clearTimeout(timer);
            reject(new Error(`the broadcaster connection closed: ${code} ${reason}`));
          }
        },
      },
      4096,
    );
  });
}

interface Collected {
  o: LoadtestOptions;
  targetName: TargetName;
  spawned: boolean;
  frameBytes: number;
  windowFrames: number;
  workers: number;
  sourceAddresses: number;
  results: WorkerResult[];
  base: ServerSample;
  idle: ServerSample;
  idleViewers: number;
  half: ServerSample;
  halfViewers: number;
  start: ServerSample;
  end: ServerSample;
  peakRss: number;
  wallSeconds: number;
  genCpuSeconds: number;
  machine: number | null;
  senderLateP99: number;
  interval: number;
  warnings: string[];
  probeSource: ServerProbe['source'];
  frameRefusals: FrameRefusals;
}

export function buildReport(c: Collected): Report {
  const { o, results } = c;
  const merge = (get: (r: WorkerResult) => HistogramData) => {
    const h = new Histogram();
    for (const r of results) h.merge(get(r));
    return h;
  };
  const counts = results.flatMap((r) => r.windowFrames);
  const received = counts.reduce((a, b) => a + b, 0);
  const expected = counts.length * c.windowFrames;
  const windowBytes = results.reduce((a, r) => a + r.windowBytes, 0);
  const sum = (get: (r: WorkerResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(get(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const refused = sum((r) => r.refused);
  const unexpectedCloses = sum((r) => r.unexpectedCloses);
  const slowCloses = sum((r) => r.slow.closes);
  const lateFirst = results.flatMap((r) => r.late.firstFrameMs);
  const lateConnect = results.flatMap((r) => r.late.connectToFirstFrameMs);

  // Chat: every chatter must see every accepted message of every chatter; plain viewers must
  // count as many chat messages as were accepted in all.
  const accepted: Record<string, number> = Object.assign({}, ...results.map((r) => r.chat.accepted));
  const totalAccepted = Object.values(accepted).reduce((a, b) => a + b, 0);
  let chatLost = 0;
  let chatReceived = 0;
  let expectedDeliveries = 0;
  for (const r of results) {
    for (const got of r.chat.receivedBySender) {
      for (const [sender, n] of Object.entries(accepted)) {
        const seen = got[sender] ?? 0;
        chatReceived += Math.min(seen, n);
        chatLost += Math.max(0, n - seen);
        expectedDeliveries += n;
      }
    }
    for (const n of r.chat.plainReceived) {
      chatReceived += Math.min(n, totalAccepted);
      chatLost += Math.max(0, totalAccepted - n);
      expectedDeliveries += totalAccepted;
    }
  }
  const chatSent = results.reduce((a, r) => a + r.chat.sent, 0);

  const cpuSeconds = c.start.cpuSeconds !== null && c.end.cpuSeconds !== null ? c.end.cpuSeconds - c.start.cpuSeconds : null;
  const gb = windowBytes / 1e9;
  const runWait = c.start.runWaitSeconds != null && c.end.runWaitSeconds != null ? c.end.runWaitSeconds - c.start.runWaitSeconds : null;
  const perViewer = (rss: number | null, n: number) => (rss !== null && c.base.rssBytes !== null && n > 0 ? (rss - c.base.rssBytes) / n : null);
  const elus = results.sort((a, b) => a.index - b.index).map((r) => r.elu);
  const genPercent = cpuPercent(c.genCpuSeconds, c.wallSeconds);
  const bottleneck = elus.some((u) => u > 0.9) || c.senderLateP99 > c.interval;
  const warnings = [...c.warnings];
  if (bottleneck) {
    warnings.push(
      `the load generator fell behind (viewer threads busy ${elus.map((u) => `${Math.round(u * 100)}%`).join(', ')}, ` +
        `frames sent up to ${c.senderLateP99.toFixed(1)} ms late): figures understate the server; if other work held the CPU, rerun on a quiet machine, else add --workers or use a second machine`,
    );
  }
  if (runWait !== null && runWait > 0.1 * c.wallSeconds) {
    warnings.push(
      `the server was ready to run but waited for a CPU ${cpuPercent(runWait, c.wallSeconds).toFixed(0)}% of the time (other processes held the cores): its latency figures are inflated by that`,
    );
  }
  if (c.machine !== null && c.machine > 95) {
    warnings.push(`the machine's CPU was ${c.machine.toFixed(0)}% busy: server and generator competed for cores, compare runs only as ratios within one run`);
  }
  const relayP50 = merge((r) => r.relay).quantileMs(0.5);
  const before = merge((r) => r.relayHalves[0]);
  const after = merge((r) => r.relayHalves[1]);
  const captureP50 = merge((r) => r.capture).quantileMs(0.5);
  if (captureP50 - relayP50 > 2 * c.interval) {
    warnings.push(
      `frames waited ${(captureP50 - relayP50).toFixed(0)} ms (p50) between the broadcaster and the relay: the server could not read them as fast as they came (it, or the machine, ran out of CPU)`,
    );
  }
  if (received === 0 && counts.length > 0) warnings.push('no viewer received a frame in the measured window');
  const cpus = availableParallelism();
  return {
    target: c.targetName,
    spawned: c.spawned,
    startedAt: new Date().toISOString(),
    scenario: {
      viewers: o.viewers,
      fps: o.fps,
      frameBytes: c.frameBytes,
      duration: o.duration,
      warmup: o.warmup,
      lateJoiners: o.lateJoiners,
      chatters: o.chatters,
      chatRate: o.chatRate,
      slowViewers: o.slowViewers,
      ramp: o.ramp,
      workers: c.workers,
      sourceAddresses: c.sourceAddresses,
    },
    connections: {
      attempted: o.viewers + o.lateJoiners,
      connected: c.idleViewers + results.reduce((a, r) => a + r.late.count, 0),
      refused,
      unexpectedCloses,
      errors: Object.values(refused).reduce((a, b) => a + b, 0) + Object.values(unexpectedCloses).reduce((a, b) => a + b, 0),
    },
    frames: {
      sent: c.windowFrames,
      expectedPerViewer: c.windowFrames,
      measuredViewers: counts.length,
      received,
      missed: expected - received,
      deliveredRatio: ratio(received, expected),
      skippedByServer: c.start.skippedFrames !== null && c.end.skippedFrames !== null ? c.end.skippedFrames - c.start.skippedFrames : null,
      refusedToBroadcaster: c.frameRefusals,
    },
    fps: { target: o.fps, ...fpsFigures(counts, c.windowFrames / o.fps) },
    relayLatencyMs: merge((r) => r.relay).summary(),
    captureLatencyMs: merge((r) => r.capture).summary(),
    lateJoiners: {
      count: results.reduce((a, r) => a + r.late.count, 0),
      withoutFrame: results.reduce((a, r) => a + r.late.withoutFrame, 0),
      firstFrameMs: { p50: quantile(lateFirst, 0.5), p99: quantile(lateFirst, 0.99), max: quantile(lateFirst, 1) },
      connectToFirstFrameMs: { p50: quantile(lateConnect, 0.5), p99: quantile(lateConnect, 0.99), max: quantile(lateConnect, 1) },
    },
    slowViewers: {
      count: results.reduce((a, r) => a + r.slow.count, 0),
      windowFrames: results.reduce((a, r) => a + r.slow.windowFrames, 0),
      closes: slowCloses,
      othersP99BeforeMs: before.quantileMs(0.99),
      othersP99AfterMs: after.quantileMs(0.99),
    },
    chat: {
      sent: chatSent,
      accepted: totalAccepted,
      expectedDeliveries,
      received: chatReceived,
      lost: chatLost,
      idGaps: results.reduce((a, r) => a + r.chat.idGaps, 0),
      unconfirmed: chatSent - totalAccepted,
      refusals: results.reduce((a, r) => a + r.chat.refusals, 0),
      latencyMs: merge((r) => r.chat.latency).summary(),
    },
    server: {
      source: c.probeSource,
      cpuSeconds,
      cpuPercent: cpuSeconds === null ? null : cpuPercent(cpuSeconds, c.wallSeconds),
      cpuWaitPercent: runWait === null ? null : cpuPercent(runWait, c.wallSeconds),
      rssBaseBytes: c.base.rssBytes,
      rssIdleBytes: c.idle.rssBytes,
      rssPeakBytes: c.peakRss || null,
      rssPerIdleViewerBytes:
        c.idle.rssBytes !== null && c.half.rssBytes !== null && c.idleViewers > c.halfViewers
          ? (c.idle.rssBytes - c.half.rssBytes) / (c.idleViewers - c.halfViewers)
          : perViewer(c.idle.rssBytes, c.idleViewers),
      rssAveragePerIdleViewerBytes: perViewer(c.idle.rssBytes, c.idleViewers),
      rssPerStreamingViewerBytes: perViewer(c.peakRss || null, c.idleViewers),
    },
    throughput: {
      bytesDelivered: windowBytes,
      gbDelivered: gb,
      gbitPerSec: c.wallSeconds > 0 ? (windowBytes * 8) / 1e9 / c.wallSeconds : 0,
      serverCpuSecondsPerGb: cpuSeconds !== null && gb > 0 ? cpuSeconds / gb : null,
    },
    generator: { cpuSeconds: c.genCpuSeconds, cpuPercent: genPercent, workers: c.workers, workerUtilisation: elus, senderLateP99Ms: c.senderLateP99, bottleneck },
    machine: { cpus, busyPercent: c.machine },
    warnings,
  };
}
