// The abusers of `npm run bench:abuse-ws`, in their own process so that their CPU is neither the
// server's nor the honest viewer's. Driven over IPC by loadtest/abuse-ws.ts:
//
// - `flood`: viewers of one room send {"type":"history","since":0} as fast as their socket takes
//   them and read (and discard) every reply, so no server closes them for reading too slowly.
// - `storm`: viewers of one room stop reading once connected; on `switch` each sends `switches`
//   quality changes, alternating between two tiers, one every `switchMs`.
//
// Both only send: they work the same against servers with and without request limits, and
// whoever is closed reconnects at once (a storm viewer carries on with the switches it has left).
import { LeanSocket, type ConnEvents } from './lean-socket.js';

/** Where abusers connect; `localAddress` makes them another client address than the honest ones. */
interface Target {
  host: string;
  port: number;
  localAddress?: string;
  room: string;
}

export type AbuseCommand =
  | ({ cmd: 'flood'; connections: number } & Target)
  | ({ cmd: 'storm'; connections: number; switches: number; switchMs: number; tiers: [string, string] } & Target)
  | { cmd: 'switch' }
  | { cmd: 'report' }
  | { cmd: 'stop' };

export interface AbuseStats {
  /** Connections opened (the first ones and every reconnect), and upgrades refused. */
  opened: number;
  refused: Record<string, number>;
  /** Closes seen, by close code (1006: no close frame). */
  closes: Record<string, number>;
  /** `history` requests (flood) or quality switches (storm) sent. */
  requests: number;
  historyReplies: number;
  errorReplies: number;
  bytesIn: number;
  largestReply: number;
  /** CPU seconds this process used. */
  cpuSeconds: number;
}

export type AbuseReply = { kind: 'ready' } | { kind: 'stats'; stats: AbuseStats };

const HISTORY_REQUEST = JSON.stringify({ type: 'history', since: 0 });
// Requests are written while less than this waits in user space: as fast as TCP takes them.
const MAX_PENDING = 64 * 1024;
const BATCH = 64;

const stats: AbuseStats = { opened: 0, refused: {}, closes: {}, requests: 0, historyReplies: 0, errorReplies: 0, bytesIn: 0, largestReply: 0, cpuSeconds: 0 };
const sockets = new Set<LeanSocket>();
let stopping = false;
const send = (m: AbuseReply) => process.send!(m);
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
const decoder = new TextDecoder();

function report(): AbuseStats {
  const cpu = process.cpuUsage();
  return { ...stats, refused: { ...stats.refused }, closes: { ...stats.closes }, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** One client that reconnects whenever it is closed, until the process stops. */
function keepConnected(t: Target, path: string, onOpen: (conn: LeanSocket) => void): void {
  const events: ConnEvents = {
    open(conn) {
      stats.opened++;
      onOpen(conn);
    },
    binary(_conn, _head, _headLen, length) {
      stats.bytesIn += length;
    },
    text(_conn, text, captured, length) {
      stats.bytesIn += length;
      const head = decoder.decode(text.subarray(0, captured));
      if (head.startsWith('{"type":"history"')) {
        stats.historyReplies++;
        stats.largestReply = Math.max(stats.largestReply, length);
      } else if (head.startsWith('{"type":"error"')) stats.errorReplies++;
    },
    refused(_conn, status, code) {
      bump(stats.refused, `${status} ${code}`);
    },
    closed(conn, code) {
      sockets.delete(conn);
      if (conn.openedAt > 0) bump(stats.closes, String(code));
      if (!stopping) setImmediate(() => keepConnected(t, path, onOpen));
    },
  };
  sockets.add(new LeanSocket({ host: t.host, port: t.port, localAddress: t.localAddress, path }, events, 32));
}

function flood(c: Extract<AbuseCommand, { cmd: 'flood' }>): void {
  const pump = (conn: LeanSocket) => {
    if (stopping || !conn.isOpen) return;
    for (let i = 0; i < BATCH && conn.pendingBytes < MAX_PENDING; i++) {
      conn.sendText(HISTORY_REQUEST);
      stats.requests++;
    }
    setImmediate(pump, conn);
  };
  for (let i = 0; i < c.connections; i++) keepConnected(c, `/ws/${c.room}?name=flood${i}`, pump);
  send({ kind: 'ready' });
}

let startSwitching: (() => void) | null = null;

function storm(c: Extract<AbuseCommand, { cmd: 'storm' }>): void {
  let switching = false;
  const waiting: (() => void)[] = [];
  let ready = 0;
  for (let i = 0; i < c.connections; i++) {
    let left = c.switches;
    let opened = false;
    const run = (conn: LeanSocket) => {
      if (stopping || !conn.isOpen || left <= 0) return;
      conn.sendText(JSON.stringify({ type: 'quality', quality: c.tiers[left % 2]! }));
      stats.requests++;
      left--;
      setTimeout(run, c.switchMs, conn);
    };
    keepConnected(c, `/ws/${c.room}?name=storm${i}&quality=source`, (conn) => {
      // Never reads again: what the server sends from now on stays in its buffers and the kernel's.
      conn.stopReading();
      if (switching) run(conn);
      else waiting.push(() => run(conn));
      if (!opened) {
        opened = true;
        if (++ready === c.connections) send({ kind: 'ready' });
      }
    });
  }
  startSwitching = () => {
    switching = true;
    for (const go of waiting.splice(0)) go();
  };
}

process.on('message', (m: AbuseCommand) => {
  switch (m.cmd) {
    case 'flood':
      return flood(m);
    case 'storm':
      return storm(m);
    case 'switch':
      startSwitching?.();
      return send({ kind: 'ready' });
    case 'report':
      return send({ kind: 'stats', stats: report() });
    case 'stop': {
      stopping = true;
      for (const s of sockets) s.destroy();
      process.send!({ kind: 'stats', stats: report() } satisfies AbuseReply, () => process.disconnect());
      return;
    }
  }
});
