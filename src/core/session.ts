import { randomBytes } from 'node:crypto';
import {
  CloseCodes,
  PROTOCOL_VERSION,
  REQUEST_COSTS,
  checkFrame,
  isNameReservedForBroadcaster,
  readTierTag,
  type ClientMessageType,
  type ErrorCode,
  type Grant,
  type Role,
  type Sender,
  type WelcomeMessage,
} from '../protocol/index.js';
import { DemandNotice } from './demand-notice.js';
import { ErrorReporter } from './error-reporter.js';
import { effectiveGrants } from './grants.js';
import { historyPageJson } from './history-page.js';
import type { Log } from './log.js';
import type { Peer } from './peer.js';
import type { EventEncoder } from './room-events.js';
import type { Member, Room } from './room.js';
import type { RoomOptions } from './room-options.js';
import { senderColor } from './sender-color.js';
import { Strikes } from './strikes.js';
import type { CloseReason } from './telemetry.js';
import { TierFrameGate } from './tier-frame-gate.js';
import { TokenBucket } from './token-bucket.js';

export interface SessionInit {
  room: Room;
  peer: Peer;
  role: Role;
  name: string;
  quality: string;
  /** Chat id the client already has (reconnect); null sends the latest messages. */
  since: number | null;
  log: Log;
  /** Room events in this protocol (the transport's). */
  encoder: EventEncoder;
  /** What the connection's viewer token grants (null or absent: no valid token). */
  tokenGrants?: readonly Grant[] | null;
  /** The token did not verify, in a room that needed none: said after `welcome` (the connection stays). */
  tokenError?: ErrorCode | null;
}

const MAX_REF_LENGTH = 64;
// More names than any QUALITY_TIERS holds: an `encoding` longer than this is not a real one.
const MAX_ENCODING_TIERS = 16;

const decoder = new TextDecoder('utf-8', { fatal: true });

export function newSessionId(): string {
  return randomBytes(5).toString('hex');
}

/** One connection's protocol state machine. Transports feed it bytes; it never sees a socket. */
export class Session implements Member {
  readonly sender: Sender;
  readonly encoder: EventEncoder;
  quality: string;
  private readonly room: Room;
  private keptLog: Log | null = null;
  // Made on first use: most viewers never chat, never send a frame and never get an error, and
  // an idle viewer's memory is the server's capacity (a fresh bucket starts full either way).
  private chatBucket: TokenBucket | null = null;
  private frameBucket: TokenBucket | null = null;
  private requestBucket: TokenBucket | null = null;
  private errors: ErrorReporter | null = null;
  private strikes: Strikes | null = null;
  // Broadcasters only: tier demand sent to it, and the checks of the tier frames it sends.
  private demand: DemandNotice | null = null;
  private tierGate: TierFrameGate | null = null;
  /** The requested name was the broadcaster's: told with NAME_RESERVED once the connection is open. */
  private nameRefused = false;
  private joined = false;
  private ended = false;
  /** What this connection may do now; set when it joins, and again when the room's privacy changes. */
  private grants: readonly Grant[] = [];
  private closeReason: CloseReason | null = null;
  // Checked once: building a log record per frame would cost an allocation even when discarded.
  private readonly traceFrames: boolean;

  constructor(
    readonly peer: Peer,
    private readonly init: SessionInit,
    private readonly opts: RoomOptions,
    id = newSessionId(),
  ) {
    this.room = init.room;
    this.quality = init.quality;
    this.encoder = init.encoder;
    let name = init.name;
    // Only the broadcaster's connection gets the host badge; a viewer does not get its name either.
    if (init.role === 'viewer' && isNameReservedForBroadcaster(name, this.room.broadcaster?.sender.name ?? null)) {
      name = '';
      this.nameRefused = true;
    }
    name ||= init.role === 'broadcaster' ? 'broadcaster' : `viewer-${id.slice(0, 4)}`;
    this.sender = { id, name, color: senderColor(id), role: init.role };
    this.traceFrames = init.role === 'broadcaster' && (init.log.isLevelEnabled?.('trace') ?? false);
  }

  get role(): Role {
    return this.init.role;
  }

  /**
   * This connection's child logger. A pino child costs about 1 KB, more than everything else a
   * viewer holds, and a viewer logs two or three lines in its life: viewers make it per use,
   * broadcasters (trace line per frame) keep theirs.
   */
  get log(): Log {
    if (this.keptLog) return this.keptLog;
    const child = this.init.log.child({ conn: this.sender.id, room: this.room.name, role: this.init.role });
    if (this.init.role === 'broadcaster') this.keptLog = child;
    return child;
  }

  /**
   * welcome → history → (room join hands over the cached frame), all in the same tick, once the
   * room's chat is loaded (at once, except for a room this node has just started to hold).
   */
  start(): void {
    const room = this.room;
    if (!room.isReady) {
      void room.whenReady().then(() => {
        if (!this.ended) this.start();
      });
      return;
    }
    // The upgrade was checked against the settings then; they may have changed since.
    const isPrivate = room.settings?.private ?? false;
    this.grants = effectiveGrants(this.role, this.init.tokenGrants ?? null, isPrivate);
    if (!this.grants.includes('watch')) return this.closeWith('private', CloseCodes.PRIVATE_ROOM);
    const welcome: WelcomeMessage = {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      room: room.name,
      role: this.role,
      you: this.sender,
      live: room.live || this.role === 'broadcaster',
      liveSince: room.liveSince,
      lastFrameAt: room.lastFrameAt,
      viewers: room.viewers + (this.role === 'viewer' ? 1 : 0),
      quality: this.quality,
      qualities: [...this.opts.qualities],
      chatEpoch: room.chat.epoch,
      serverTime: Date.now(),
      limits: this.opts.limits,
      private: isPrivate,
      grants: [...this.grants],
    };
    this.peer.sendText(JSON.stringify(welcome));
    this.sendHistory(this.init.since);
    room.join(this);
    this.joined = true;
    if (this.role === 'broadcaster') this.demandNotice().sendNow();
    this.opts.telemetry.connectionOpened(this.role);
    this.log.info({ name: this.sender.name, quality: this.quality }, 'connection open');
    if (this.nameRefused) this.reject('NAME_RESERVED', false);
    if (this.init.tokenError) this.reject(this.init.tokenError, false);
  }

  onMessage(bytes: Uint8Array, isBinary: boolean): void {
    // Read in full but too large to handle: a close frame says so (1009). Anything larger never
    // gets here: the transport drops it unread (see the transport's message limit).
    if (bytes.length > this.opts.limits.maxMessageBytes) {
      this.log.info({ bytes: bytes.length, binary: isBinary }, 'message over the transport limit');
      return this.closeWith('too_large', CloseCodes.MESSAGE_TOO_BIG);
    }
    if (isBinary) this.onFrame(bytes);
    else this.onText(bytes);
  }

  onSendDropped(): void {
    this.closeWith('slow_consumer', CloseCodes.SLOW_CONSUMER);
  }

  onReplaced(): void {
    this.closeWith('replaced', CloseCodes.REPLACED);
  }

  /** The room turned private or public: without `watch` now, the connection goes (4502, no reconnect). */
  onAccessChanged(isPrivate: boolean): void {
    if (!this.joined || this.closeReason) return;
    this.grants = effectiveGrants(this.role, this.init.tokenGrants ?? null, isPrivate);
    if (!this.grants.includes('watch')) return this.closeWith('private', CloseCodes.PRIVATE_ROOM);
    this.peer.sendText(JSON.stringify({ type: 'access', private: isPrivate, grants: [...this.grants] }));
  }

  onDemandChanged(): void {
    if (this.joined) this.demandNotice().changed();
  }

  private demandNotice(): DemandNotice {
    return (this.demand ??= new DemandNotice(
      () => this.room.demandedTiers(),
      (msg) => this.peer.sendText(JSON.stringify(msg)),
    ));
  }

  /** Marks why the server is closing this connection, before the transport reports the close. */
  closeWith(reason: CloseReason, close: { code: number; reason: string }): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    this.log.info({ code: close.code, reason }, 'closing connection');
    this.peer.close(close.code, close.reason);
  }

  /**
   * The transport reports the socket closed (by either side). `transportReason`: the transport
   * itself closed it (e.g. a message over its limit), which counts as the server's close.
   */
  end(code: number, transportReason?: CloseReason): void {
    this.ended = true;
    this.errors?.dispose();
    this.demand?.dispose();
    if (!this.joined) return;
    this.joined = false;
    this.room.leave(this);
    const reason =
      this.closeReason ??
      transportReason ??
      (code === CloseCodes.REPLACED.code ? 'replaced' : code === CloseCodes.SERVER_SHUTDOWN.code ? 'shutdown' : 'client');
    this.opts.telemetry.connectionClosed(this.role, reason);
    this.log.info({ code, reason }, 'connection closed');
  }

  private onFrame(bytes: Uint8Array): void {
    const { telemetry, limits } = this.opts;
    if (this.role !== 'broadcaster') return this.reject('NOT_ALLOWED', true);
    telemetry.frameReceived(bytes.length);
    if (this.room.broadcaster !== this) return; // replaced; its close is under way
    if (bytes.length > limits.maxFrameBytes) return this.rejectFrame('FRAME_TOO_LARGE');
    const check = checkFrame(bytes);
    if (!check.ok) return this.rejectFrame(check.reason === 'not_jpeg' ? 'FRAME_NOT_JPEG' : 'FRAME_MALFORMED');
    const tier = readTierTag(bytes, check.headerLen);
    if (tier !== null) return this.onTierFrame(tier, bytes, check.headerLen);
    const now = Date.now();
    // One second of burst: after a stall (the server or the network held frames back) the frames
    // arrive together, and a short burst allowance would drop the newest of them, the worst pick
    // for live video. The long-run average still cannot exceed maxFps.
    this.frameBucket ??= new TokenBucket(limits.maxFps, Math.max(2, limits.maxFps), now);
    // Not a strike: a camera faster than MAX_FPS is misconfigured, not hostile, and it has a key.
    if (!this.frameBucket.take(now)) {
      telemetry.framesSkipped('rate_limit', 1);
      this.report('FRAME_RATE_LIMITED', now);
      return;
    }
    if (!this.room.acceptFrame(bytes, check.headerLen, now)) return this.rejectFrame('FRAME_UNSAFE');
    if (this.traceFrames) this.log.trace({ bytes: bytes.length }, 'frame accepted');
  }

  /** A tier the broadcaster encoded itself (tag malformed: undefined). */
  private onTierFrame(tier: string | undefined, bytes: Uint8Array, headerLen: number): void {
    const now = Date.now();
    const verdict = (this.tierGate ??= new TierFrameGate(this.room, this.opts)).accept(tier, bytes, headerLen, now);
    if (verdict === 'rate_limited') {
      this.opts.telemetry.framesSkipped('rate_limit', 1);
      this.report('FRAME_RATE_LIMITED', now);
    } else if (verdict !== null) {
      this.rejectFrame(verdict);
    } else if (this.traceFrames) {
      this.log.trace({ bytes: bytes.length, tier }, 'tier frame accepted');
    }
  }

  private rejectFrame(code: ErrorCode): void {
    this.opts.telemetry.frameRejected(code);
    this.reject(code, true);
  }

  private onText(bytes: Uint8Array): void {
    if (bytes.length > this.opts.limits.maxTextBytes) return this.reject('MESSAGE_TOO_LARGE', true);
    let msg: unknown;
    try {
      msg = JSON.parse(decoder.decode(bytes));
    } catch {
      return this.reject('BAD_JSON', true);
    }
    if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') {
      return this.reject('BAD_JSON', true);
    }
    const m = msg as Record<string, unknown>;
    // One budget check for every request type: whatever is added to REQUEST_COSTS is limited.
    if (!Object.hasOwn(REQUEST_COSTS, m.type as string)) return this.reject('UNKNOWN_TYPE', true);
    const type = m.type as ClientMessageType;
    const cost = REQUEST_COSTS[type];
    if (cost > 0) {
      const { requestRatePerSec, requestBurst } = this.opts.limits;
      const now = Date.now();
      this.requestBucket ??= new TokenBucket(requestRatePerSec, requestBurst, now);
      if (!this.requestBucket.take(now, cost)) return this.rateLimited('REQUEST_RATE_LIMITED', now);
    }
    switch (type) {
      case 'chat':
        return this.onChat(m.text, m.ref);
      case 'history':
        if (!Number.isSafeInteger(m.since) || (m.since as number) < 0) return this.reject('BAD_SINCE', true);
        return this.sendHistory(m.since as number);
      case 'ping': {
        const t = typeof m.t === 'number' ? m.t : 0;
        this.peer.sendText(JSON.stringify({ type: 'pong', t, serverTime: Date.now() }));
        return;
      }
      case 'quality':
        return this.onQuality(m.quality);
      case 'encoding':
        return this.onEncoding(m.tiers);
    }
  }

  private onChat(text: unknown, ref: unknown): void {
    const { limits, telemetry } = this.opts;
    if (typeof text !== 'string' || (ref !== undefined && (typeof ref !== 'string' || ref.length > MAX_REF_LENGTH))) {
      return this.reject('BAD_MESSAGE', true);
    }
    // A private room's token may grant watching only; `welcome.grants` said so, so pages do not ask.
    if (!this.grants.includes('chat')) {
      telemetry.chatRefused('NOT_ALLOWED');
      return this.reject('NOT_ALLOWED', true);
    }
    let refused: ErrorCode | null = null;
    if (text.trim().length === 0) refused = 'CHAT_EMPTY';
    else if (text.length > limits.maxChatLength) refused = 'CHAT_TOO_LONG';
    if (refused) {
      telemetry.chatRefused(refused);
      return this.reject(refused, false);
    }
    const now = Date.now();
    this.chatBucket ??= new TokenBucket(limits.chatRatePerSec, limits.chatBurst, now);
    if (!this.chatBucket.take(now)) {
      telemetry.chatRefused('CHAT_RATE_LIMITED');
      return this.rateLimited('CHAT_RATE_LIMITED', now);
    }
    // Stored and announced by the room's chat, or refused: never accepted and then lost.
    this.room.postChat(this.sender, text, ref as string | undefined).then(
      () => telemetry.chatAccepted(),
      () => {
        telemetry.chatRefused('CHAT_UNAVAILABLE');
        if (!this.ended) this.report('CHAT_UNAVAILABLE', Date.now());
      },
    );
  }

  private onQuality(quality: unknown): void {
    if (typeof quality !== 'string' || !this.opts.qualities.includes(quality)) return this.reject('BAD_QUALITY', false);
    this.room.setQuality(this, quality);
    this.peer.sendText(JSON.stringify({ type: 'quality', quality }));
  }

  /** The broadcaster encodes these tiers itself from now on; the server makes the others. */
  private onEncoding(tiers: unknown): void {
    if (this.role !== 'broadcaster') return this.reject('NOT_ALLOWED', true);
    if (!Array.isArray(tiers) || tiers.length > MAX_ENCODING_TIERS || !tiers.every((t) => typeof t === 'string')) return this.reject('BAD_MESSAGE', true);
    const names = tiers as string[];
    if (names.some((t) => t === 'source' || !this.opts.qualities.includes(t))) return this.reject('BAD_QUALITY', false);
    if (this.room.broadcaster !== this) return; // replaced; its close is under way
    this.room.announceEdgeTiers(names, Date.now());
    this.log.info({ tiers: names }, 'broadcaster encodes tiers');
  }

  /** One page of chat history, bounded in bytes (`historyMaxBytes`); a join's first one too. */
  private sendHistory(since: number | null): void {
    const { chatOnJoin, limits } = this.opts;
    this.peer.sendText(historyPageJson(this.room.chat, this.room.chat.epoch, { since, tail: chatOnJoin, maxBytes: limits.historyMaxBytes }));
  }

  /** Refuses a message with its code; `strike`: it was invalid, and too many close the connection. */
  private reject(code: ErrorCode, strike: boolean): void {
    const now = Date.now();
    this.report(code, now);
    if (strike && (this.strikes ??= new Strikes()).strike(now)) this.tooManyStrikes(code);
  }

  /** Refuses a message over a rate limit: a few per window are forgiven, a flood is struck. */
  private rateLimited(code: ErrorCode, now: number): void {
    this.report(code, now);
    if ((this.strikes ??= new Strikes()).overLimit(now)) this.tooManyStrikes(code);
  }

  private tooManyStrikes(code: ErrorCode): void {
    this.log.warn({ code, strikes: this.strikes?.count }, 'too many invalid messages');
    this.closeWith('policy', CloseCodes.POLICY_VIOLATION);
  }

  /** Sends `error` (throttled per code, with a trailing report of what was held back) and logs it, never the payload. */
  private report(code: ErrorCode, now: number): void {
    this.errors ??= new ErrorReporter((msg) => {
      this.log.info({ code: msg.code, dropped: msg.dropped ?? 0 }, 'refused');
      this.peer.sendText(JSON.stringify(msg));
    });
    this.errors.report(code, now);
  }
}
