// Moderation state lives in the room's shared records (RoomStateStore), one record per person:
//   mute:<id>   {"until": ms}  until a mute ends (the record's own expiry is the same)
//   ban:<id>    {"until": ms}  until a ban of a person ends
//   bana:<tag>  {"until": ms}  the same ban, for an address the person was connected from (hashed)
//   kick:<id>   {"at": ms}     a kick, kept a short while: its announcement is what reaches every node
import { MODERATION_ACTIONS, type ModerationAction } from '../../protocol/index.js';

// Ids are public ids or connection ids (lower-case hex), tags hex: all fit RECORD_KEY_PATTERN.

export const MUTE_PREFIX = 'mute:';
export const BAN_PREFIX = 'ban:';
export const ADDRESS_BAN_PREFIX = 'bana:';
export const KICK_PREFIX = 'kick:';

/** How long a kick's record is kept: long enough for every node to hear of it. */
export const KICK_RECORD_MS = 30_000;

/** The longest mute or ban, in seconds. */
export const MAX_MODERATION_SECONDS = 7 * 24 * 3600;
export const DEFAULT_MUTE_SECONDS = 600;
export const DEFAULT_BAN_SECONDS = 3600;

/** What a target id may look like: a public id (16 hex) or a connection id (10 hex). */
export const TARGET_PATTERN = /^[0-9a-f]{10}(?:[0-9a-f]{6})?$/;

/** `until` of a record's value, or null when it has none. */
export function untilOf(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const until = (value as { until?: unknown }).until;
  return typeof until === 'number' && Number.isFinite(until) ? until : null;
}

export function isModerationAction(v: unknown): v is ModerationAction {
  return typeof v === 'string' && (MODERATION_ACTIONS as readonly string[]).includes(v);
}
