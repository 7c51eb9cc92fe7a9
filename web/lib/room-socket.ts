import { CloseCodes, REQUEST_COSTS, shouldReconnect, type ClientMessage, type ServerMessage, type WelcomeMessage } from '../../src/protocol/index.js';
import { Backoff } from './backoff.js';
import { ChatSync, type ChatSyncResult } from './chat-sync.js';
import { ClockOffset } from './clock-offset.js';
import { roomSocketUrl, type PageConfig } from './page-config.js';
import { RequestPacer } from './request-pacer.js';

export type SocketState =
  | { kind: 'connecting' }
  | { kind: 'open'; welcome: WelcomeMessage }
  | { kind: 'reconnecting'; code: number; inMs: number; attempt: number; everOpened: boolean }
  | { kind: 'stopped'; code: number; reason: string };

export interface RoomSocketOptions {
  config: PageConfig;
  room: string;
  role: 'viewer' | 'broadcaster';
  name?: string;
  key?: string;
  /** A viewer token (private rooms), as the page's own URL carried it. */
  token?: string;
  quality?: string;
  onState(state: SocketState): void;
  /** Every server text message except chat and history, which arrive through `onChat`. */
  onMessage?(msg: ServerMessage): void;
  onChat?(result: ChatSyncResult): void;
  onFrame?(data: ArrayBuffer): void;
}

// Ping often at first to settle the clock offset quickly, then rarely.
const PING_FAST_MS = 1000;
const PING_SLOW_MS = 10_000;
const FAST_PINGS = 5;
// A history request the server refused (over its request budget) is asked again after this long.
const HISTORY_RETRY_MS = 1500;

/**
 * One room connection that survives network trouble: reconnects with backoff on every close code
 * that asks for it, resumes chat from the last id it saw, and keeps a clock offset to the server.
 */
export class RoomSocket {
  readonly chat = new ChatSync();
  readonly clock = new ClockOffset();
  private ws: WebSocket | null = null;
  private readonly backoff = new Backoff();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setTimeout> | null = null;
  private historyTimer: ReturnType<typeof setTimeout> | null = null;
  private pacer: RequestPacer | null = null;
  private pings = 0;
  private stopped = true;
  private welcome: WelcomeMessage | null = null;

  constructor(private readonly opts: RoomSocketOptions) {
    // Back online after a network change: try now instead of waiting out the backoff.
    addEventListener('online', () => {
      if (this.stopped || !this.retryTimer) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.connect();
    });
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.welcome !== null;
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  get current(): WelcomeMessage | null {
    return this.welcome;
  }

  /** Connection settings used from the next (re)connect on. */
  update(patch: Partial<Pick<RoomSocketOptions, 'name' | 'key' | 'quality'>>): void {
    Object.assign(this.opts, patch);
  }

  start(): void {
    this.stopped = false;
    this.backoff.reset();
    this.connect();
  }

  stop(code = 1000, reason = 'stopped'): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.welcome = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      ws.close(1000);
    }
    this.opts.onState({ kind: 'stopped', code, reason });
  }

  /** Closes the current socket and connects again at once (e.g. after a name change). */
  reconnect(): void {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      ws.close(1000);
    }
    this.clearTimers();
    this.connect();
  }

  send(msg: ClientMessage): boolean {
    if (!this.isOpen) return false;
    this.pacer?.spend(REQUEST_COSTS[msg.type] ?? 0, Date.now());
    this.ws!.send(JSON.stringify(msg));
    return true;
  }

  sendBinary(data: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(data);
    return true;
  }

  private connect(): void {
    const o = this.opts;
    const query: Record<string, string> = { role: o.role };
    if (o.key) query.key = o.key;
    if (o.token) query.token = o.token;
    if (o.name) query.name = o.name;
    if (o.quality) query.quality = o.quality;
    this.chat.connecting();
    const since = this.chat.since;
    if (since !== null) query.since = String(since);
    this.welcome = null;
    this.pacer = null;
    this.clock.reset();
    o.onState({ kind: 'connecting' });
    let opened = false;
    const ws = new WebSocket(roomSocketUrl(o.config, o.room, query));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        o.onFrame?.(ev.data as ArrayBuffer);
        return;
      }
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.onText(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.welcome = null;
      this.clearTimers();
      if (this.stopped) return;
      if (!shouldReconnect(ev.code)) {
        this.stopped = true;
        o.onState({ kind: 'stopped', code: ev.code, reason: ev.reason || reasonFor(ev.code) });
        return;
      }
      if (opened) this.backoff.reset();
      const inMs = this.backoff.next();
      o.onState({ kind: 'reconnecting', code: ev.code, inMs, attempt: this.backoff.attempts, everOpened: opened });
      this.retryTimer = setTimeout(() => this.connect(), inMs);
    };
  }

  private onText(msg: ServerMessage): void {
    const o = this.opts;
    switch (msg.type) {
      case 'welcome':
        this.welcome = msg;
        // Servers without a request budget send no such limits: then nothing is paced.
        this.pacer = msg.limits.requestRatePerSec > 0 ? new RequestPacer(msg.limits.requestRatePerSec, msg.limits.requestBurst, Date.now()) : null;
        this.pings = 0;
        this.schedulePing(0);
        o.onState({ kind: 'open', welcome: msg });
        break;
      case 'history':
        this.emitChat(this.chat.onHistory(msg));
        return;
      case 'chat':
        this.emitChat(this.chat.onChat(msg));
        return;
      case 'pong':
        this.clock.add(msg.t, msg.serverTime, Date.now());
        break;
      case 'error':
        // Refused for the request budget: the history page asked for may be among them.
        if (msg.code === 'REQUEST_RATE_LIMITED' && this.chat.pending !== null) this.requestHistory(this.chat.pending, HISTORY_RETRY_MS);
        break;
      default:
        break;
    }
    o.onMessage?.(msg);
  }

  private emitChat(r: ChatSyncResult): void {
    if (r.request !== null) this.requestHistory(r.request, 0);
    this.opts.onChat?.(r);
  }

  /** Asks for history after `since`, once the request budget allows it (pages of a long reply come paced). */
  private requestHistory(since: number, minDelayMs: number): void {
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.historyTimer = null;
    // Pages leave a ping's worth of budget: the clock pings go out on their own schedule.
    const wait = Math.max(minDelayMs, this.pacer?.waitMs(REQUEST_COSTS.history + REQUEST_COSTS.ping, Date.now()) ?? 0);
    if (wait === 0) {
      this.send({ type: 'history', since });
      return;
    }
    this.historyTimer = setTimeout(() => {
      this.historyTimer = null;
      // Pings may have spent from the budget meanwhile: look again rather than send blindly.
      if (this.chat.pending === since) this.requestHistory(since, 0);
    }, wait);
  }

  private schedulePing(delay: number): void {
    this.pingTimer = setTimeout(() => {
      if (!this.send({ type: 'ping', t: Date.now() })) return;
      this.pings++;
      this.schedulePing(this.pings < FAST_PINGS ? PING_FAST_MS : PING_SLOW_MS);
    }, delay);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearTimeout(this.pingTimer);
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.retryTimer = this.pingTimer = this.historyTimer = null;
  }
}

function reasonFor(code: number): string {
  for (const c of Object.values(CloseCodes)) if (c.code === code) return c.reason;
  return code === 1000 ? 'closed' : `closed (${code})`;
}
