// The honest side of `npm run bench:abuse-ws`: a broadcaster that sends frames on a drift-free
// schedule, and a viewer that records every frame it gets (by seq) and pings the server at a
// pace any honest client keeps, timing each pong.
import { FRAME_HEADER_BYTES, encodeFrame } from '../src/protocol/index.js';
import { LeanSocket, wallNow, type ConnEvents } from './lean-socket.js';

export interface Endpoint {
  host: string;
  port: number;
  /** Another loopback source address, so per-address limits count these clients apart. */
  localAddress?: string;
}

function open(ep: Endpoint, path: string, events: Partial<ConnEvents>, textCapture = 64): Promise<LeanSocket> {
  return new Promise((resolve, reject) => {
    let opened = false;
    new LeanSocket(
      { host: ep.host, port: ep.port, localAddress: ep.localAddress, path },
      {
        open: (c) => {
          opened = true;
          resolve(c);
          events.open?.(c);
        },
        binary: (...a) => events.binary?.(...a),
        text: (...a) => events.text?.(...a),
        refused: (_c, status, code) => reject(new Error(`${path}: upgrade refused, ${status} ${code}`)),
        closed: (...a) => {
          if (!opened) reject(new Error(`${path}: closed before opening`));
          events.closed?.(...a);
        },
      },
      textCapture,
    );
  });
}

/** Sends `jpegs` round-robin at `fps`; `seq` is the number of frames sent so far. */
export class PacedBroadcaster {
  seq = 0;
  /** Chat messages this connection has seen (its own included). */
  chatSeen = 0;
  private timer: NodeJS.Timeout | null = null;
  private closeCode: number | null = null;

  private constructor(private conn: LeanSocket) {}

  static async connect(ep: Endpoint, room: string, key: string): Promise<PacedBroadcaster> {
    let self: PacedBroadcaster | null = null;
    const conn = await open(ep, `/ws/${room}?role=broadcaster&key=${key}&name=cam-${room}`, {
      text: (_c, text) => {
        if (self && Buffer.from(text).toString('latin1', 0, 14) === '{"type":"chat"') self.chatSeen++;
      },
      closed: (_c, code) => {
        if (self) self.closeCode = code;
      },
    });
    self = new PacedBroadcaster(conn);
    return self;
  }

  start(jpegs: Uint8Array[], fps: number): void {
    const t0 = wallNow();
    const tick = () => {
      if (this.closeCode !== null) return;
      this.conn.sendBinary(encodeFrame(jpegs[this.seq % jpegs.length]!, this.seq, Date.now()));
      this.seq++;
      this.timer = setTimeout(tick, Math.max(0, t0 + (this.seq * 1000) / fps - wallNow()));
    };
    tick();
  }

  /** Closed by the server (the benchmark treats it as a failed run). */
  get closed(): number | null {
    return this.closeCode;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.conn.destroy();
  }
}

export interface ReceivedFrame {
  seq: number;
  at: number;
  capturedAt: number;
}

export interface Ping {
  sentAt: number;
  rttMs: number | null;
}

/** An honest viewer: reads everything, keeps each frame's seq and times, pings every `pingMs`. */
export class HonestViewer {
  readonly frames: ReceivedFrame[] = [];
  readonly pings: Ping[] = [];
  closes = 0;
  private timer: NodeJS.Timeout | null = null;

  private constructor(private conn: LeanSocket) {}

  static async connect(ep: Endpoint, room: string, pingMs: number): Promise<HonestViewer> {
    let self: HonestViewer | null = null;
    const conn = await open(ep, `/ws/${room}?name=honest`, {
      binary: (c, head, headLen) => {
        if (!self || headLen < FRAME_HEADER_BYTES) return;
        const view = new DataView(head.buffer, head.byteOffset, FRAME_HEADER_BYTES);
        self.frames.push({ seq: view.getUint32(4, true), at: c.now, capturedAt: view.getFloat64(8, true) });
      },
      text: (c, text, captured) => {
        // {"type":"pong","t":<index>,...
        const m = /^\{"type":"pong","t":(\d+)/.exec(Buffer.from(text.subarray(0, captured)).toString('latin1'));
        const ping = self && m ? self.pings[Number(m[1])] : undefined;
        if (ping && ping.rttMs === null) ping.rttMs = c.now - ping.sentAt;
      },
      closed: () => {
        if (self) self.closes++;
      },
    });
    self = new HonestViewer(conn);
    self.timer = setInterval(() => {
      self!.pings.push({ sentAt: wallNow(), rttMs: null });
      conn.sendText(JSON.stringify({ type: 'ping', t: self!.pings.length - 1 }));
    }, pingMs);
    return self;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.conn.destroy();
  }
}

/** Connects `connections` viewers of `room`, each posts `perConnection` chat messages of `text`, then leaves. */
/**
 * Fills a room's chat from many connections, twenty at a time; with `ep.localAddress` set, each
 * batch comes from the next loopback address after it, within the server's per-address limits.
 */
export async function fillChat(ep: Endpoint, room: string, text: string, connections: number, perConnection: number): Promise<void> {
  for (let i = 0; i < connections; i += 20) {
    const from = ep.localAddress ? { ...ep, localAddress: nextAddress(ep.localAddress, i / 20) } : ep;
    const batch = await Promise.all(Array.from({ length: Math.min(20, connections - i) }, (_, k) => open(from, `/ws/${room}?name=filler${i + k}`, {})));
    for (const conn of batch) for (let n = 0; n < perConnection; n++) conn.sendText(JSON.stringify({ type: 'chat', text }));
    for (const conn of batch) conn.close();
  }
}

/** The loopback address `n` after `base` in its last byte (127.0.0.3 + 2 = 127.0.0.5). */
function nextAddress(base: string, n: number): string {
  const parts = base.split('.').map(Number);
  parts[3] = (parts[3]! + n) % 250;
  return parts.join('.');
}
