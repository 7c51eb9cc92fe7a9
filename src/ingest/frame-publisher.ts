import WebSocket from 'ws';
import { encodeFrame, shouldReconnect, type ServerMessage } from '../protocol/index.js';
import type { TierPublisher } from './tier-publisher.js';

export interface PublisherOptions {
  /** Full broadcaster URL: ws://host:port/ws/room?role=broadcaster&key=... */
  url: string;
  /** Frames per second to send at; 0: as they arrive, capped at the server's MAX_FPS. */
  fps: number;
  log(line: string): void;
  /** Called when the publisher gives up for good (refused key, replaced by another broadcaster). */
  onFatal(message: string): void;
  /** --tiers: encodes the tiers viewers watch and sends them after each source frame. */
  tiers?: TierPublisher;
}

// Live video: a restarted server should see its broadcaster again within a second or two.
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 3000;
// With --fps, frames wait here (and the input is paused) instead of being dropped.
const PACED_QUEUE = 4;
const ERROR_LOG_INTERVAL_MS = 5000;

/**
 * Sends JPEGs as a room's broadcaster over one WebSocket, reconnecting with backoff.
 * Paced mode (`fps > 0`): every frame is sent, at that rate; `wantsMore` tells the reader to pause.
 * Live mode: the newest frame wins; frames that arrive while the previous one is still unsent,
 * faster than the server's limit, or while disconnected, are dropped.
 */
export class FramePublisher {
  private ws: WebSocket | null = null;
  private open = false;
  /** The server's welcome (limits, and with it the tier demand) has come on this connection. */
  private welcomed = false;
  private queue: Uint8Array[] = [];
  private seq = 0;
  private nextSendAt = 0;
  private minIntervalMs: number;
  /** Reconnect timer: set while waiting to reconnect. */
  private timer: NodeJS.Timeout | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  private backoff = BACKOFF_MIN_MS;
  private closing = false;
  private lastErrorLogAt = 0;
  private drainWaiters: (() => void)[] = [];
  /** Average time between source frames sent, ms: the time tier encodes of a frame may take. */
  private sendInterval = 0;
  private lastSentAt = 0;
  sent = 0;
  dropped = 0;
  /** Frame bytes handed to the socket, headers included. */
  bytes = 0;
  /** Viewers of the room as the server last said (welcome, presence); null before the first. */
  viewers: number | null = null;
  /** Whether the connection was ever open: "nothing sent" then means no server answered. */
  everConnected = false;

  constructor(private readonly opts: PublisherOptions) {
    this.minIntervalMs = opts.fps > 0 ? 1000 / opts.fps : 0;
  }

  get wantsMore(): boolean {
    return this.opts.fps <= 0 || this.queue.length < PACED_QUEUE;
  }

  /** Resolves when paced mode has room for more frames again. */
  waitForRoom(): Promise<void> {
    if (this.wantsMore || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  start(): void {
    this.connect();
  }

  get state(): 'connecting' | 'live' | 'retrying' {
    return this.open ? 'live' : this.timer ? 'retrying' : 'connecting';
  }

  push(jpeg: Uint8Array): void {
    if (this.closing) return;
    if (this.opts.fps > 0) {
      this.queue.push(jpeg);
    } else {
      this.dropped += this.queue.length;
      this.queue = [jpeg];
    }
    this.pump();
  }

  /** Sends what is queued (while connected), then closes normally. */
  async finish(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Still connecting or reconnecting counts: a short input may end before the first welcome.
    while (this.queue.length > 0 && !this.closing && Date.now() < deadline) await sleep(20);
    await this.opts.tiers?.whenIdle();
    while (this.ws && this.open && this.ws.bufferedAmount > 0 && Date.now() < deadline) await sleep(20);
    this.dropped += this.queue.length;
    this.queue = [];
    this.stop();
  }

  stop(): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.timer = this.pumpTimer = null;
    this.wakeReaders();
    const ws = this.ws;
    if (ws) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'end of input');
      else ws.terminate();
    }
  }

  private connect(): void {
    const ws = new WebSocket(this.opts.url, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => {
      this.open = true;
      this.everConnected = true;
      this.backoff = BACKOFF_MIN_MS;
      this.opts.log('connected');
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onText(String(data));
    });
    let refused = false;
    ws.on('unexpected-response', (req, res) => {
      refused = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let code = '';
        try {
          code = (JSON.parse(body) as { error?: string }).error ?? '';
        } catch {
          // not JSON: a proxy's page
        }
        // Wrong key, room name or origin will not fix themselves; busy or shutting down will.
        req.destroy();
        if (status >= 400 && status < 500 && status !== 429) this.fatal(`connection refused: ${status} ${code || body.trim().slice(0, 120)}`);
        else this.retry(`connection refused: ${status} ${code}`);
      });
    });
    ws.on('error', (err) => {
      if (!this.open && !refused) this.retry(`cannot connect: ${err.message}`);
    });
    ws.on('close', (code, reason) => {
      const wasOpen = this.open;
      this.open = false;
      if (this.ws === ws) {
        this.welcomed = false;
        this.opts.tiers?.disconnected();
      }
      if (this.ws !== ws || this.closing || !wasOpen) return;
      if (!shouldReconnect(code)) this.fatal(`closed by the server: ${code} ${reason.toString()}`);
      else this.retry(`disconnected (${code} ${reason.toString()})`);
    });
  }

  private onText(text: string): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'welcome') {
      // Never send faster than the server accepts: excess frames would only be refused.
      const serverMin = 1000 / msg.limits.maxFps;
      this.minIntervalMs = Math.max(this.opts.fps > 0 ? 1000 / this.opts.fps : 0, serverMin);
      this.viewers = msg.viewers;
      const ws = this.ws!;
      this.opts.tiers?.connected({
        sendText: (text) => ws.send(text),
        sendFrame: (frame) => ws.send(frame),
        bufferedAmount: () => ws.bufferedAmount,
      });
      // Frames start once the messages that came with the welcome are read: with --tiers, the
      // tier demand is among them, so the first frame already carries its tiers.
      this.welcomed = true;
      setImmediate(() => this.pump());
    } else if (msg.type === 'demand') {
      this.opts.tiers?.setDemand(msg.tiers);
    } else if (msg.type === 'presence') {
      this.viewers = msg.viewers;
    } else if (msg.type === 'error') {
      const now = Date.now();
      if (now - this.lastErrorLogAt >= ERROR_LOG_INTERVAL_MS) {
        this.lastErrorLogAt = now;
        this.opts.log(`server: ${msg.code} ${msg.message}`);
      }
    }
  }

  private retry(why: string): void {
    if (this.closing || this.timer) return;
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    this.welcomed = false;
    this.viewers = null;
    this.opts.tiers?.disconnected();
    ws?.removeAllListeners('close');
    ws?.terminate();
    // Live frames are stale by the time we are back.
    if (this.opts.fps <= 0) {
      this.dropped += this.queue.length;
      this.queue = [];
    }
    const wait = Math.round(this.backoff * (0.75 + Math.random() * 0.5));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.opts.log(`${why}; retrying in ${wait} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closing) this.connect();
    }, wait);
  }

  private fatal(message: string): void {
    if (this.closing) return;
    this.stop();
    this.opts.onFatal(message);
  }

  private pump(): void {
    if (this.timer || !this.open || !this.welcomed || this.queue.length === 0) return;
    const ws = this.ws!;
    const now = performance.now();
    if (now < this.nextSendAt) {
      this.schedulePump(this.nextSendAt - now);
      return;
    }
    // Latest frame wins: while the last frame is still unsent, a live frame waits (and is
    // replaced by newer ones) rather than piling up in the socket.
    if (ws.bufferedAmount > 0) {
      this.schedulePump(5);
      return;
    }
    const jpeg = this.queue.shift()!;
    const seq = this.seq++;
    const capturedAt = Date.now();
    const frame = encodeFrame(jpeg, seq, capturedAt);
    ws.send(frame);
    this.sent++;
    this.bytes += frame.length;
    if (this.opts.tiers) {
      const gap = now - this.lastSentAt;
      if (this.lastSentAt > 0) this.sendInterval = this.sendInterval === 0 ? gap : this.sendInterval + 0.1 * (gap - this.sendInterval);
      this.lastSentAt = now;
      this.opts.tiers.budget.intervalMs = Math.max(this.minIntervalMs, this.sendInterval);
      this.opts.tiers.afterSource(jpeg, seq, capturedAt);
    }
    // A steady rate; after a stall it does not burst to catch up.
    this.nextSendAt = Math.max(now, this.nextSendAt) + this.minIntervalMs;
    this.wakeReaders();
    if (this.queue.length > 0) this.schedulePump(Math.max(0, this.nextSendAt - performance.now()));
  }

  private schedulePump(ms: number): void {
    if (this.pumpTimer) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, ms);
  }

  private wakeReaders(): void {
    if (!this.wantsMore && !this.closing) return;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
