import { CloseCodes, shouldReconnect, type ClientMessage, type ServerMessage, type WelcomeMessage } from '../../src/protocol/index.js';
import { Backoff } from './backoff.js';
import { ChatSync, type ChatSyncResult } from './chat-sync.js';
import { ClockOffset } from './clock-offset.js';
import { roomSocketUrl, type PageConfig } from './page-config.js';

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
    if (o.name) query.name = o.name;
    if (o.quality) query.quality = o.quality;
    this.chat.connecting();
    const since = this.chat.since;
    if (since !== null) query.since = String(since);
    this.welcome = null;
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
      default:
        break;
    }
    o.onMessage?.(msg);
  }

  private emitChat(r: ChatSyncResult): void {
    if (r.request !== null) this.send({ type: 'history', since: r.request });
    this.opts.onChat?.(r);
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
    this.retryTimer = this.pingTimer = null;
  }
}

function reasonFor(code: number): string {
  for (const c of Object.values(CloseCodes)) if (c.code === code) return c.reason;
  return code === 1000 ? 'closed' : `closed (${code})`;
}
