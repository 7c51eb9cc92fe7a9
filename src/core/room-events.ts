import type { ChatMessage } from '../protocol/index.js';

/**
 * What a room tells the people in it. The core emits these; each protocol's transport turns
 * them into its own messages (our JSON in `src/transport/ws/beamcast-encoder.ts`, Pusher events in its
 * transport), once per event and protocol, never once per member.
 */
export type RoomEvent =
  | { type: 'chat'; msg: ChatMessage }
  /** The broadcaster went live (or offline) at `since`. */
  | { type: 'live'; live: boolean; since: number; lastFrameAt: number | null }
  /** Coalesced: the room's viewer count (cluster-wide) and live state. */
  | { type: 'presence'; viewers: number; live: boolean }
  /** The chat log started afresh (another epoch): members drop the ids they had and reload. */
  | { type: 'chat-reset'; epoch: string; latestId: number }
  /** Who is in the room, as our protocol's `audience` message (already JSON: it is the same for everyone). */
  | { type: 'audience'; json: string }
  /** Slow mode changed: one chat message per `seconds` per person (0: off). */
  | { type: 'slowmode'; seconds: number };

/** Turns room events into one protocol's text messages; null: this protocol has no such message. */
export interface EventEncoder {
  encode(event: RoomEvent): string | null;
}
