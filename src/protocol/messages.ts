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

/**
 * What a chat message is, when it is not something a person said (absent): a notice of people
 * joining or leaving, or a moderator's deletion of one message or clearing of the chat.
 */
export type ChatKind = 'join' | 'leave' | 'delete' | 'clear';

/** Someone a join or leave notice names. */
export interface NoticePerson {
  id: string;
  name: string;
  color: string;
}

export interface ChatMessage {
  type: 'chat';
  /** Per-room, strictly increasing from 1. */
  id: number;
  /** Server time, ms since Unix epoch. */
  at: number;
  from: Sender;
  /** What was said; for a notice, the notice in words ("maria joined"); '' in a tombstone. */
  text: string;
  /** Echo of the sender's `ref`, so a sender can match its own message. */
  ref?: string;
  /** Absent for what a person said; see ChatKind. */
  kind?: ChatKind;
  /** join / leave: up to three of the people, in the order they came or went. */
  people?: NoticePerson[];
  /** join / leave: how many people the notice stands for. */
  count?: number;
  /** delete: the id of the message removed. */
  target?: number;
  /** A tombstone: a moderator removed this message; `text` is empty. */
  deleted?: true;
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
  /** One chat message per this many seconds per person (0: off); moderators and the broadcaster are exempt. */
  slowModeSeconds: number;
  /** Server time until which this connection's person is muted, or null. */
  mutedUntil: number | null;
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
  /** MUTED, SLOW_MODE, BANNED: server time when the restriction ends. */
  until?: number;
}

/**
 * Someone in a room, as the viewer list shows them: the broadcaster, a viewer whose token grants
 * `moderate`, any other viewer, or a follower (a Pusher client that joined the room's presence channel).
 */
export const AUDIENCE_ROLES = ['broadcaster', 'moderator', 'viewer', 'follower'] as const;
export type AudienceRole = (typeof AUDIENCE_ROLES)[number];

export function isAudienceRole(v: unknown): v is AudienceRole {
  return typeof v === 'string' && (AUDIENCE_ROLES as readonly string[]).includes(v);
}

export interface AudienceMember {
  id: string;
  name: string;
  color: string;
  role: AudienceRole;
}

/** Who is in the room: the first names (broadcaster first) and how many there are in all. */
export interface AudienceMessage {
  type: 'audience';
  members: AudienceMember[];
  /** Everyone in the room: the members listed and those who are not (past the cap, MJPEG streams). */
  total: number;
  /** More are in the room than `members` lists. */
  truncated: boolean;
}

/** This connection's person was muted until `until` (server time), or unmuted (null). */
export interface MutedMessage {
  type: 'muted';
  until: number | null;
}

/** The room's slow mode changed: one message per `seconds` per person (0: off). */
export interface SlowModeMessage {
  type: 'slowmode';
  seconds: number;
}

export const MODERATION_ACTIONS = ['delete', 'mute', 'unmute', 'kick', 'ban', 'slowmode', 'clear'] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

/** A moderation action, as a moderator sends it. */
export interface ModerateRequest {
  type: 'moderate';
  action: ModerationAction;
  /** delete: the chat id. */
  id?: number;
  /** mute, unmute, kick, ban: the person's id (`you.id`, chat's `from.id`). */
  target?: string;
  /** mute, ban: for how long; slowmode: seconds between messages (0: off). */
  seconds?: number;
}

/** The moderator's action was carried out (stored and announced on every node). */
export interface ModeratedMessage {
  type: 'moderated';
  action: ModerationAction;
  id?: number;
  target?: string;
  seconds?: number;
  /** mute, ban: server time when it ends. */
  until?: number;
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
  | AudienceMessage
  | MutedMessage
  | SlowModeMessage
  | ModeratedMessage
  | DemandMessage;

export type ClientMessage =
  | { type: 'chat'; text: string; ref?: string }
  | { type: 'history'; since: number }
  | { type: 'ping'; t: number }
  | { type: 'quality'; quality: string }
  | ModerateRequest
  /** Broadcasters: the tiers it encodes from now on (all others are the server's). */
  | { type: 'encoding'; tiers: string[] };

export const CLIENT_MESSAGE_TYPES = ['chat', 'history', 'ping', 'quality', 'moderate', 'encoding'] as const;
export type ClientMessageType = (typeof CLIENT_MESSAGE_TYPES)[number];

/**
 * What each client message costs from its connection's request budget (`limits.requestRatePerSec`
 * tokens per second, at most `limits.requestBurst` saved up), roughly in proportion to what the
 * answer costs the server. Every type needs an entry, so a type added later is limited from the
 * start. Chat is metered by its own bucket (`chatRatePerSec`, `chatBurst`) and costs nothing here.
 * A moderation action costs like a history page: it writes to the shared store and reaches every node.
 */
export const REQUEST_COSTS = { chat: 0, ping: 1, quality: 2, history: 4, moderate: 4, encoding: 1 } as const satisfies Record<ClientMessageType, number>;

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
