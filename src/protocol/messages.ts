import type { ErrorCode } from './codes.js';
import type { Grant } from './grants.js';

export type Role = 'viewer' | 'broadcaster';

/**
 * Who a chat message is from: a connection's role, or `server` for a message a backend posted
 * (a signed Pusher HTTP API event onto the room's channel, docs/pusher.md#rooms-are-channels).
 */
export type SenderRole = Role | 'server';

export interface Sender {
  id: string;
  name: string;
  color: string;
  role: SenderRole;
}

export interface ChatMessage {
  type: 'chat';
  /** Per-room, strictly increasing from 1. */
  id: number;
  /** Server time, ms since Unix epoch. */
  at: number;
  from: Sender;
  text: string;
  /** Echo of the sender's `ref`, so a sender can match its own message. */
  ref?: string;
}

export interface Limits {
  maxFrameBytes: number;
  maxFps: number;
  maxChatLength: number;
  chatRatePerSec: number;
  chatBurst: number;
  maxNameLength: number;
  maxTextBytes: number;
  /** Largest message the server reads and answers with an error code; larger ones close the connection. */
  maxMessageBytes: number;
  /** Request budget for history, quality and ping: tokens per second and at most this many saved up. */
  requestRatePerSec: number;
  requestBurst: number;
  /** Largest `history` message, serialised; longer replies come in pages (`more`). */
  historyMaxBytes: number;
}

export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  room: string;
  role: Role;
  you: Sender;
  live: boolean;
  liveSince: number | null;
  lastFrameAt: number | null;
  viewers: number;
  quality: string;
  qualities: string[];
  /** Changes when the room's chat log starts afresh; chat ids from another epoch are meaningless. */
  chatEpoch: string;
  serverTime: number;
  limits: Limits;
  /** The room needs a viewer token (see `grants`); it is not listed. */
  private: boolean;
  /** What this connection may do in the room now (a public room gives everyone watch and chat). */
  grants: Grant[];
}

export interface HistoryMessage {
  type: 'history';
  chatEpoch: string;
  messages: ChatMessage[];
  /** Highest chat id the room has issued so far (0 if none). */
  latestId: number;
  /** True when messages after the requested id were already evicted from the log. */
  truncated: boolean;
  /** True when the reply stopped at its byte limit: ask for the rest with `since: nextSince`. */
  more: boolean;
  /** With `more`: the id of the last message in this page. */
  nextSince?: number;
}

export interface PresenceMessage {
  type: 'presence';
  viewers: number;
  live: boolean;
}

export interface LiveMessage {
  type: 'live';
  live: boolean;
  /** When the room went live (live=true) or offline (live=false). */
  since: number;
  lastFrameAt: number | null;
}

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** For rate limits: how many were dropped since the last error of this code. */
  dropped?: number;
}

export interface PongMessage {
  type: 'pong';
  /** The client's `t`, echoed. */
  t: number;
  serverTime: number;
}

/** The room turned private or public, and what this connection may do from now on. */
export interface AccessMessage {
  type: 'access';
  private: boolean;
  grants: Grant[];
}

export interface QualityMessage {
  type: 'quality';
  quality: string;
}

/** A recompressed quality tier: frames at most `maxWidth` px wide (never enlarged), JPEG `quality` 1–100. */
export interface TierInfo {
  name: string;
  maxWidth: number;
  quality: number;
}

/**
 * To the broadcaster: the tiers someone consumes anywhere in the cluster, widest first. Sent after
 * `welcome` and whenever the set changes (coalesced). A broadcaster may encode them itself (see
 * `encoding` and tier frames); the server makes whatever it does not send.
 */
export interface DemandMessage {
  type: 'demand';
  tiers: TierInfo[];
}

export type ServerMessage =
  | WelcomeMessage
  | HistoryMessage
  | ChatMessage
  | PresenceMessage
  | LiveMessage
  | ErrorMessage
  | PongMessage
  | QualityMessage
  | AccessMessage
  | DemandMessage;

export type ClientMessage =
  | { type: 'chat'; text: string; ref?: string }
  | { type: 'history'; since: number }
  | { type: 'ping'; t: number }
  | { type: 'quality'; quality: string }
  /** Broadcasters: the tiers it encodes from now on (all others are the server's). */
  | { type: 'encoding'; tiers: string[] };

export const CLIENT_MESSAGE_TYPES = ['chat', 'history', 'ping', 'quality', 'encoding'] as const;
export type ClientMessageType = (typeof CLIENT_MESSAGE_TYPES)[number];

/**
 * What each client message costs from its connection's request budget (`limits.requestRatePerSec`
 * tokens per second, at most `limits.requestBurst` saved up), roughly in proportion to what the
 * answer costs the server. Every type needs an entry, so a type added later is limited from the
 * start. Chat is metered by its own bucket (`chatRatePerSec`, `chatBurst`) and costs nothing here.
 */
export const REQUEST_COSTS = { chat: 0, ping: 1, quality: 2, history: 4, encoding: 1 } as const satisfies Record<ClientMessageType, number>;

/** One room as `GET /api/rooms` and `GET /api/rooms/:room` describe it. */
export interface RoomSummary {
  name: string;
  live: boolean;
  liveSince: number | null;
  offlineSince: number | null;
  viewers: number;
  lastFrameAt: number | null;
  width: number | null;
  height: number | null;
  fps: number;
  chatMessages: number;
}
