// Runs one scenario against one target: connect, idle, stream (warm-up, then the measured
// window), drain, collect. Frames are numbered, so the measured window is the seq range
// [warm-up + 1, warm-up + fps × duration] and every viewer knows what it should have received.
import { Worker } from 'node:worker_threads';
import { encodeFrame } from '../src/protocol/frame-header.js';
import { openBroadcaster, type FrameRefusals } from './broadcaster.js';
import { buildReport } from './build-report.js';
import { bundleLoadtest } from './bundle.js';
import { framePreamble, wsPath, type TargetName } from './dialect.js';
import { Histogram } from './histogram.js';
import { generatedJpegs, loadJpegs } from './jpeg-frames.js';
import { wallNow, type LeanSocket } from './lean-socket.js';
import type { LoadtestOptions } from './options.js';
import type { Report } from './report.js';
import type { ClusterSample } from './cluster-probe.js';
import { machineCpu, type ServerSample } from './server-probe.js';
import { openUnderTest } from './under-test.js';
import type { Progress, ToWorker, ViewerKind, ViewerPlan, WorkerResult, WorkerSetup } from './worker-protocol.js';
import { finishWorkers } from './finish-workers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RunHooks {
  /** Live status, about once a second. */
  progress?(line: string): void;
}

export async function runScenario(o: LoadtestOptions, targetName: TargetName, hooks: RunHooks = {}): Promise<Report> {
  const jpegs = o.frames ? await loadJpegs(o.frames) : await generatedJpegs(Math.round(o.frameKb * 1024));
  const frameBytes = Math.round(jpegs.reduce((a, b) => a + b.length, 0) / jpegs.length) + 24;
  const bundle = await bundleLoadtest();
  const warnings: string[] = [];

  const under = await openUnderTest(o, targetName, Math.max(...jpegs.map((j) => j.length)) * 2, warnings);
  const { probe, cluster } = under;
  const { host, port } = under.nodes[0]!;

  const warmupFrames = Math.ceil(o.fps * o.warmup);
  const windowFrames = Math.max(1, Math.round(o.fps * o.duration));
  const FIRST = warmupFrames + 1;
  const LAST = warmupFrames + windowFrames;
  const interval = 1000 / o.fps;
  // Extra loopback source addresses multiply the ephemeral ports; they only reach a loopback server.
  const sourceAddresses = under.nodes.every((n) => n.host.startsWith('127.')) && o.sourceAddresses > 1 ? Array.from({ length: o.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`) : [];

  const workers: Worker[] = [];
  const exited = new Set<Worker>();
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
        nodes: under.nodes,
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
      w.once('exit', () => exited.add(w));
      workers.push(w);
    }
    const send = (i: number, msg: ToWorker) => workers[i]!.postMessage(msg);
    const sendAll = (msg: ToWorker) => workers.forEach((w) => w.postMessage(msg));

    await sleep(500);
    await under.collectGarbage();
    const base = await probe.sample();

    // The broadcaster: one connection from this thread, frames on a drift-free schedule.
    broadcaster = await openBroadcaster(targetName, host, port, wsPath(targetName, o.room, 'broadcaster', under.key), frameRefusals);

    // Viewers: kinds spread evenly, dealt round-robin to the nodes, then round-robin to the threads.
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
    // Each node's viewers are spread over every thread, so that no node's figures are one thread's.
    const nodeCount = under.nodes.length;
    const threadOf = (i: number) => Math.floor(i / nodeCount) % workers.length;
    const shares: ViewerPlan[][] = workers.map(() => []);
    kinds.forEach((kind, i) => shares[threadOf(i)]!.push({ kind, node: i % nodeCount }));

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
    const connectAll = async (batch: ViewerPlan[][]) => {
      batch.forEach((s, i) => s.length && send(i, { cmd: 'connect', viewers: s, perSecond: o.ramp / workers.length }));
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
      await under.collectGarbage();
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
      void under.memoryProbe.sample().then((s) => {
        if (s.rssBytes && s.rssBytes > peakRss) peakRss = s.rssBytes;
      });
    }, 250);
    const late = new Histogram();
    const t0 = wallNow();
    let startSample: Promise<ServerSample> = Promise.resolve(base);
    let startCluster: Promise<ClusterSample> | null = null;
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
        startCluster = cluster?.sample() ?? null;
        startCpu = process.cpuUsage();
        startMachine = machineCpu();
        windowStart = wallNow();
        sendAll({ cmd: 'mark', name: 'start' });
        if (o.lateJoiners > 0) {
          // Late joiners arrive spread over the middle 80% of the window.
          const delays: number[][] = workers.map(() => []);
          const lateNodes: number[][] = workers.map(() => []);
          for (let k = 0; k < o.lateJoiners; k++) {
            delays[threadOf(k)]!.push(o.duration * 1000 * (0.1 + (0.8 * (k + 0.5)) / o.lateJoiners));
            lateNodes[threadOf(k)]!.push(k % nodeCount);
          }
          delays.forEach((d, i) => d.length && send(i, { cmd: 'late', delaysMs: d, nodes: lateNodes[i]! }));
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
    // Drain: until the last frame has reached every thread and every node's viewers (a server
    // that fell behind the broadcaster, or a node behind the bus, is still relaying the window),
    // then a little longer for the slowest viewer.
    const drainDeadline = Date.now() + 15_000;
    const nodesWithViewers = [...new Set(kinds.map((_, i) => i % nodeCount))];
    const drained = () => {
      const all = [...latest.values()];
      return all.every((p) => p.lastSeq >= LAST) && nodesWithViewers.every((n) => all.some((p) => (p.lastSeqByNode[n] ?? -1) >= LAST));
    };
    while (Date.now() < drainDeadline && !drained()) await sleep(100);
    await sleep(Math.max(500, interval * 3));
    const windowEnd = wallNow();
    sendAll({ cmd: 'mark', name: 'end' });
    const [endSample, endCluster] = await Promise.all([probe.sample(), cluster?.sample() ?? null]);
    const endCpu = process.cpuUsage(startCpu);
    const endMachine = machineCpu();
    clearInterval(sampler.timer);
    sampler.timer = null;
    const start = await startSample;
    const clusterStart = await startCluster;
    if (endSample.rssBytes && endSample.rssBytes > peakRss) peakRss = endSample.rssBytes;

    sendAll({ cmd: 'finish' });
    const deadline = Date.now() + 15_000;
    while (results.size < workers.length && Date.now() < deadline) await new Promise<void>((r) => (resultWaiters.push(r), setTimeout(r, 200)));
    if (results.size < workers.length) throw new Error(`only ${results.size} of ${workers.length} viewer threads reported. ${warnings.join("; ")}`);

    return buildReport({
      o, targetName, spawned: under.spawned, frameBytes, windowFrames, workers: workers.length, sourceAddresses: sourceAddresses.length,
      results: [...results.values()], base, idle, idleViewers, half: half.sample, halfViewers: half.viewers, start, end: endSample, peakRss,
      wallSeconds: (windowEnd - windowStart) / 1000, genCpuSeconds: (endCpu.user + endCpu.system) / 1e6,
      machine: startMachine && endMachine ? ((endMachine.busy - startMachine.busy) / Math.max(1, endMachine.total - startMachine.total)) * 100 : null,
      senderLateP99: late.quantileMs(0.99), interval, warnings, probeSource: probe.source, frameRefusals, processes: nodeCount,
      cluster: cluster && clusterStart && endCluster ? { names: cluster.names, start: clusterStart, end: endCluster } : null,
    });
  } finally {
    if (sampler.timer) clearInterval(sampler.timer);
    broadcaster?.close();
    await finishWorkers(workers, exited, { cmd: 'finish' } satisfies ToWorker);
    await under.stop();
  }
}
