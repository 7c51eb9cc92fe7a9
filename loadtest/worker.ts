// A viewer thread: holds a share of the viewer connections and counts what they receive.
// The binary path reads a frame's 24-byte header and nothing else.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyText, decodeChat, encodeChat, hasWelcome, parsePaperHead, wsPath } from './dialect.js';
import { Histogram } from './histogram.js';
import { LeanSocket, wallNow } from './lean-socket.js';
import type { ChatResult, NodeTally, Progress, ToWorker, ViewerKind, ViewerPlan, WorkerResult, WorkerSetup } from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const { target, windowFirstSeq: FIRST, windowLastSeq: LAST, slowStopSeq: SLOW_STOP } = setup;
const welcomeClock = hasWelcome(target);
const CHAT_CAPTURE = 64 * 1024;

interface Viewer {
  kind: ViewerKind | 'late';
  node: number;
  conn: LeanSocket;
  windowFrames: number;
  bytes: number;
  welcomeAt: number;
  firstFrameAt: number;
  chatCount: number;
  closing: boolean;
  closedCode: number;
  paused: boolean;
  // chatters only
  key: string;
  sent: number;
  echoed: number;
  lastChatId: number;
  bySender: Map<string, number> | null;
}

const relay = new Histogram();
const relayHalves = [new Histogram(), new Histogram()] as const;
const capture = new Histogram();
const chatLatency = new Histogram();
const byNode = setup.nodes.map(() => ({ windowBytes: 0, relay: new Histogram(), capture: new Histogram() }));
const viewers: Viewer[] = [];
const refused: Record<string, number> = {};
const unexpectedCloses: Record<string, number> = {};
let attempted = 0;
let connected = 0;
let failed = 0;
let connectDone = true;
let windowFramesTotal = 0;
let lastSeq = 0;
const lastSeqByNode = setup.nodes.map(() => -1);
let windowBytes = 0;
let allBytes = 0;
let chatSent = 0;
let chatRefusals = 0;
let chatIdGaps = 0;
let finishing = false;
/** Viewers whose connection opened and then closed (for whatever reason). */
let closedAfterOpen = 0;
const lateTimers: NodeJS.Timeout[] = [];
let eluStart: ReturnType<typeof performance.eventLoopUtilization> | null = null;
let elu = 0;
const textDecoder = new TextDecoder();
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function onFrame(v: Viewer, seq: number, capturedAt: number, relayedAt: number, length: number, now: number): void {
  allBytes += length;
  if (seq > lastSeq) lastSeq = seq;
  if (seq > lastSeqByNode[v.node]!) lastSeqByNode[v.node] = seq;
  if (v.firstFrameAt === 0) v.firstFrameAt = now;
  if (seq < FIRST || seq > LAST) return;
  if (v.kind === 'late') return;
  if (v.kind === 'slow') {
    v.windowFrames++;
    if (!v.paused && seq >= SLOW_STOP) {
      v.paused = true;
      v.conn.stopReading();
    }
    return;
  }
  v.windowFrames++;
  v.bytes += length;
  windowFramesTotal++;
  windowBytes += length;
  relay.recordMs(now - relayedAt);
  relayHalves[seq < SLOW_STOP ? 0 : 1].recordMs(now - relayedAt);
  capture.recordMs(now - capturedAt);
  const n = byNode[v.node]!;
  n.windowBytes += length;
  n.relay.recordMs(now - relayedAt);
  n.capture.recordMs(now - capturedAt);
}

function openViewer(kind: ViewerKind | 'late', node: number, i: number): void {
  const addrs = setup.sourceAddresses;
  const v: Viewer = {
    kind,
    node,
    conn: null as unknown as LeanSocket,
    windowFrames: 0,
    bytes: 0,
    welcomeAt: 0,
    firstFrameAt: 0,
    chatCount: 0,
    closing: false,
    closedCode: 0,
    paused: false,
    key: `${setup.index}.${i}`,
    sent: 0,
    echoed: 0,
    lastChatId: 0,
    bySender: kind === 'chatter' ? new Map() : null,
  };
  attempted++;
  v.conn = new LeanSocket(
    {
      host: setup.nodes[node]!.host,
      port: setup.nodes[node]!.port,
      path: wsPath(target, setup.room, 'viewer'),
      localAddress: addrs.length > 0 ? addrs[i % addrs.length] : undefined,
    },
    {
      open: () => {
        connected++;
      },
      binary: (conn, head, headLen, length) => {
        if (headLen < 24) return;
        const d = dv(head);
        onFrame(v, d.getUint32(4, true), d.getFloat64(8, true), d.getFloat64(16, true), length, conn.now);
      },
      text: (conn, bytes, len, total) => {
        const kind = classifyText(target, conn, bytes, len, total);
        if (kind === 'frame') {
          const h = parsePaperHead(textDecoder.decode(bytes.subarray(0, len)));
          if (h) onFrame(v, h.seq, h.capturedAt, h.relayedAt, total, conn.now);
        } else if (kind === 'welcome') {
          if (v.welcomeAt === 0) v.welcomeAt = conn.now;
        } else if (kind === 'chat') {
          v.chatCount++;
          if (v.bySender) onChat(v, textDecoder.decode(bytes.subarray(0, len)), conn.now);
        } else if (v.bySender && total < 512 && /"code":"CHAT_RATE_LIMITED"/.test(textDecoder.decode(bytes.subarray(0, len)))) {
          chatRefusals++;
        }
      },
      refused: (_conn, _status, code) => {
        failed++;
        refused[code] = (refused[code] ?? 0) + 1;
      },
      closed: (_conn, code) => {
        v.closedCode = code;
        if (v.conn.openedAt > 0) {
          connected--;
          closedAfterOpen++;
        }
        if (!v.closing && v.conn.openedAt > 0 && !finishing) unexpectedCloses[code] = (unexpectedCloses[code] ?? 0) + 1;
      },
    },
    kind === 'chatter' ? CHAT_CAPTURE : 128,
  );
  viewers.push(v);
}

function onChat(v: Viewer, text: string, now: number): void {
  const chat = decodeChat(target, text);
  if (!chat) return;
  const dot = chat.ref.lastIndexOf('.');
  const sender = chat.ref.slice(0, dot);
  v.bySender!.set(sender, (v.bySender!.get(sender) ?? 0) + 1);
  if (sender === v.key) v.echoed++;
  // Chat ids rise by one per room: a jump means a message was lost on the way to this viewer.
  if (chat.id !== null) {
    if (v.lastChatId > 0 && chat.id !== v.lastChatId + 1) chatIdGaps++;
    v.lastChatId = chat.id;
  }
  const t = /^t=(\d+(?:\.\d+)?)/.exec(chat.text);
  if (t) chatLatency.recordMs(now - Number(t[1]));
}

function connectBatch(plans: ViewerPlan[], perSecond: number): void {
  connectDone = false;
  let next = 0;
  const t0 = wallNow();
  const tick = () => {
    const due = Math.min(plans.length, Math.ceil(((wallNow() - t0) / 1000) * perSecond) || 1);
    while (next < due) {
      const p = plans[next++]!;
      openViewer(p.kind, p.node, viewers.length);
    }
    if (next < plans.length) setTimeout(tick, 5);
    else waitConnected();
  };
  tick();
}

function waitConnected(): void {
  // A viewer the server dropped right after opening is settled too: nothing more will come of it.
  if (connected + failed + closedAfterOpen >= attempted || finishing) {
    connectDone = true;
    return;
  }
  setTimeout(waitConnected, 20);
}

function startChat(perSecond: number, stopAfterMs: number, textBytes: number): void {
  const chatters = viewers.filter((v) => v.kind === 'chatter');
  if (chatters.length === 0 || perSecond <= 0) return;
  const interval = 1000 / perSecond;
  const t0 = wallNow();
  chatters.forEach((v, k) => {
    // Spread the senders over the interval so the room sees a steady stream.
    let n = 0;
    let tick = 0;
    const offset = (k / chatters.length) * interval;
    const send = () => {
      const now = wallNow();
      if (now - t0 > stopAfterMs || finishing) return;
      if (v.conn.isOpen) {
        const text = `t=${now.toFixed(3)} `.padEnd(textBytes, 'x');
        v.conn.sendText(encodeChat(target, text, `${v.key}.${++n}`));
        v.sent++;
        chatSent++;
      }
      tick++;
      setTimeout(send, t0 + offset + tick * interval - wallNow());
    };
    setTimeout(send, offset);
  });
}

function progress(): Progress {
  return { type: 'progress', index: setup.index, connected, attempted, failed, connectDone, windowFrames: windowFramesTotal, lastSeq, lastSeqByNode: [...lastSeqByNode], relay: relay.toData() };
}

function result(): WorkerResult {
  const windowFrames: number[] = [];
  const slow = { count: 0, windowFrames: 0, closes: {} as Record<string, number> };
  const late = { count: 0, firstFrameMs: [] as number[], connectToFirstFrameMs: [] as number[], withoutFrame: 0 };
  const nodeFrames: number[][] = setup.nodes.map(() => []);
  const chat: ChatResult = { sent: chatSent, accepted: {}, receivedBySender: [], plainReceived: [], refusals: chatRefusals, idGaps: chatIdGaps, latency: chatLatency.toData() };
  for (const v of viewers) {
    if (v.conn.openedAt === 0) continue;
    if (v.kind === 'slow') {
      slow.count++;
      slow.windowFrames += v.windowFrames;
      if (v.closedCode) slow.closes[v.closedCode] = (slow.closes[v.closedCode] ?? 0) + 1;
    } else if (v.kind === 'late') {
      late.count++;
      if (v.firstFrameAt === 0) late.withoutFrame++;
      else {
        late.firstFrameMs.push(v.firstFrameAt - (welcomeClock && v.welcomeAt ? v.welcomeAt : v.conn.openedAt));
        late.connectToFirstFrameMs.push(v.firstFrameAt - v.conn.startedAt);
      }
    } else {
      windowFrames.push(v.windowFrames);
      nodeFrames[v.node]!.push(v.windowFrames);
      if (v.kind === 'chatter') {
        chat.accepted[v.key] = v.echoed;
        chat.receivedBySender.push(Object.fromEntries(v.bySender!));
      } else {
        chat.plainReceived.push(v.chatCount);
      }
    }
  }
  return {
    type: 'result',
    index: setup.index,
    windowFrames,
    windowBytes,
    allBytes,
    relay: relay.toData(),
    relayHalves: [relayHalves[0].toData(), relayHalves[1].toData()],
    capture: capture.toData(),
    byNode: byNode.map((n, i): NodeTally => ({ windowFrames: nodeFrames[i]!, windowBytes: n.windowBytes, relay: n.relay.toData(), capture: n.capture.toData() })),
    slow,
    late,
    chat,
    refused,
    unexpectedCloses,
    elu,
  };
}

const progressTimer = setInterval(() => port.postMessage(progress()), 500);

port.on('message', (msg: ToWorker) => {
  switch (msg.cmd) {
    case 'connect':
      connectBatch(msg.viewers, msg.perSecond);
      break;
    case 'late':
      msg.delaysMs.forEach((d, k) => lateTimers.push(setTimeout(() => !finishing && openViewer('late', msg.nodes[k] ?? 0, viewers.length), d)));
      break;
    case 'chat':
      startChat(msg.perSecond, msg.stopAfterMs, msg.textBytes);
      break;
    case 'mark':
      if (msg.name === 'start') eluStart = performance.eventLoopUtilization();
      else if (eluStart) elu = performance.eventLoopUtilization(eluStart).utilization;
      break;
    case 'finish': {
      if (finishing) break;
      finishing = true;
      clearInterval(progressTimer);
      lateTimers.forEach(clearTimeout);
      port.postMessage(result());
      for (const v of viewers) {
        v.closing = true;
        // A stalled reader would never see the close handshake: drop it outright.
        if (v.paused) v.conn.destroy();
        else v.conn.close();
      }
      const done = () => (viewers.every((v) => !v.conn.isOpen) ? port.close() : setTimeout(done, 50));
      done();
      break;
    }
  }
});
