// A subscriber thread of the Pusher scenario: holds a share of the subscribers, each a LeanSocket
// speaking protocol 7 as pusher-js does (see pusher-subscriber.ts), and counts the events of the
// measured window each one gets, by seq, with their trigger → delivery latency.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import { LeanSocket, wallNow } from './lean-socket.js';
import { PONG, subscribeMessage, subscriberStep } from './pusher-subscriber.js';
import type { PusherProgress, PusherWorkerResult, PusherWorkerSetup, ToPusherWorker } from './pusher-worker-protocol.js';

const setup = workerData as PusherWorkerSetup;
const port = parentPort!;
const { windowFirstSeq: FIRST, windowLastSeq: LAST, channel, eventName } = setup;
const WINDOW = LAST - FIRST + 1;

interface Subscriber {
  conn: LeanSocket;
  subscribed: boolean;
  closing: boolean;
  /** One byte per window event: seen. */
  seen: Uint8Array | null;
  received: number;
  lastSeq: number;
}

const latency = new Histogram();
const firstMs = new Float64Array(WINDOW).fill(NaN);
const lastMs = new Float64Array(WINDOW).fill(NaN);
const subs: Subscriber[] = [];
const errors: Record<string, number> = {};
const refused: Record<string, number> = {};
const unexpectedCloses: Record<string, number> = {};
let attempted = 0;
let connected = 0;
let subscribed = 0;
let failed = 0;
let ended = 0;
let connectDone = true;
let windowReceived = 0;
let complete = 0;
let duplicates = 0;
let outOfOrder = 0;
let finishing = false;
let eluStart: ReturnType<typeof performance.eventLoopUtilization> | null = null;
let elu = 0;
const decoder = new TextDecoder();
const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);

function onEvent(s: Subscriber, seq: number, sentAt: number, now: number): void {
  if (seq < s.lastSeq) outOfOrder++;
  else s.lastSeq = seq;
  if (seq < FIRST || seq > LAST) return;
  const seen = (s.seen ??= new Uint8Array(WINDOW));
  if (seen[seq - FIRST]) {
    duplicates++;
    return;
  }
  seen[seq - FIRST] = 1;
  s.received++;
  windowReceived++;
  if (s.received === WINDOW) complete++;
  const ms = now - sentAt;
  latency.recordMs(ms);
  const k = seq - FIRST;
  if (!(firstMs[k]! <= ms)) firstMs[k] = ms;
  if (!(lastMs[k]! >= ms)) lastMs[k] = ms;
}

function open(i: number): void {
  const addrs = setup.sourceAddresses;
  const s: Subscriber = { conn: null as unknown as LeanSocket, subscribed: false, closing: false, seen: null, received: 0, lastSeq: 0 };
  attempted++;
  s.conn = new LeanSocket(
    { host: setup.host, port: setup.port, path: setup.path, localAddress: addrs.length > 0 ? addrs[i % addrs.length] : undefined },
    {
      open: () => {
        connected++;
      },
      binary: () => count(errors, 'binary message'),
      text: (conn, bytes, len, total) => {
        if (len < total) return void count(errors, 'message longer than --event-bytes allows');
        const step = subscriberStep(decoder.decode(bytes.subarray(0, len)), channel, eventName);
        switch (step.kind) {
          case 'event':
            return onEvent(s, step.seq, step.sentAt, conn.now);
          case 'established':
            conn.sendText(subscribeMessage(channel));
            return;
          case 'subscribed':
            if (!s.subscribed) {
              s.subscribed = true;
              subscribed++;
            }
            return;
          case 'ping':
            conn.sendText(PONG);
            return;
          case 'error':
            count(errors, step.code);
            return;
        }
      },
      refused: (_conn, _status, code) => {
        failed++;
        count(refused, code);
      },
      closed: (_conn, code) => {
        ended++;
        if (s.conn.openedAt > 0) connected--;
        if (s.subscribed) {
          s.subscribed = false;
          subscribed--;
        }
        if (!s.closing && s.conn.openedAt > 0 && !finishing) count(unexpectedCloses, String(code));
      },
    },
    setup.textCapture,
  );
  subs.push(s);
}

function connectBatch(n: number, perSecond: number): void {
  connectDone = false;
  let next = 0;
  const t0 = wallNow();
  const tick = () => {
    const due = Math.min(n, Math.ceil(((wallNow() - t0) / 1000) * perSecond) || 1);
    while (next < due) {
      open(subs.length);
      next++;
    }
    if (next < n) setTimeout(tick, 5);
    else waitSubscribed();
  };
  tick();
}

function waitSubscribed(): void {
  // Done when every socket is subscribed, refused or closed.
  if (subscribed + ended >= attempted || finishing) {
    connectDone = true;
    return;
  }
  setTimeout(waitSubscribed, 20);
}

function progress(): PusherProgress {
  return { type: 'progress', index: setup.index, attempted, connected, subscribed, failed, connectDone, windowReceived, complete, latency: latency.toData() };
}

function result(): PusherWorkerResult {
  const received: number[] = [];
  let never = 0;
  for (const s of subs) {
    if (s.subscribed || s.received > 0) received.push(s.received);
    else if (s.conn.openedAt > 0) never++;
  }
  return { type: 'result', index: setup.index, windowReceived: received, duplicates, outOfOrder, neverSubscribed: never, latency: latency.toData(), firstMs, lastMs, errors, refused, unexpectedCloses, elu };
}

const progressTimer = setInterval(() => port.postMessage(progress()), 250);

port.on('message', (msg: ToPusherWorker) => {
  switch (msg.cmd) {
    case 'connect':
      connectBatch(msg.count, msg.perSecond);
      break;
    case 'mark':
      if (msg.name === 'start') eluStart = performance.eventLoopUtilization();
      else if (eluStart) elu = performance.eventLoopUtilization(eluStart).utilization;
      break;
    case 'finish': {
      if (finishing) break;
      finishing = true;
      clearInterval(progressTimer);
      port.postMessage(result());
      for (const s of subs) {
        s.closing = true;
        s.conn.close();
      }
      const done = () => (subs.every((s) => !s.conn.isOpen) ? port.close() : setTimeout(done, 50));
      done();
      break;
    }
  }
});
