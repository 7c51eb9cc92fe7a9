import { MAX_SLOW_MODE_SECONDS, type ModerateRequest } from '../../protocol/index.js';
import { DEFAULT_BAN_SECONDS, DEFAULT_MUTE_SECONDS, MAX_MODERATION_SECONDS, TARGET_PATTERN, isModerationAction } from './moderation-records.js';

/** A moderation request with its fields checked and defaults filled in. */
export type ModerationOrder =
  | { action: 'delete'; id: number }
  | { action: 'clear' }
  | { action: 'mute' | 'ban'; target: string; seconds: number }
  | { action: 'unmute' | 'kick'; target: string }
  | { action: 'slowmode'; seconds: number };

const inRange = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/**
 * `{"type":"moderate","action":...}` as a client sent it: `id` (a chat id) for delete; `target`
 * (a person's id) for mute, unmute, kick and ban; `seconds` for mute and ban (optional: 600 and
 * 3600, at most MAX_MODERATION_SECONDS) and slowmode (required, 0 to MAX_SLOW_MODE_SECONDS).
 * Null: the fields are missing or wrong (BAD_MESSAGE). Other fields are ignored.
 */
export function parseModerate(m: Partial<Record<keyof ModerateRequest, unknown>>): ModerationOrder | null {
  const { action, id, target, seconds } = m;
  if (!isModerationAction(action)) return null;
  const person = typeof target === 'string' && TARGET_PATTERN.test(target) ? target : null;
  switch (action) {
    case 'delete':
      return inRange(id, 1, Number.MAX_SAFE_INTEGER) ? { action, id } : null;
    case 'clear':
      return { action };
    case 'mute':
    case 'ban': {
      if (person === null) return null;
      if (seconds === undefined) return { action, target: person, seconds: action === 'mute' ? DEFAULT_MUTE_SECONDS : DEFAULT_BAN_SECONDS };
      return inRange(seconds, 1, MAX_MODERATION_SECONDS) ? { action, target: person, seconds } : null;
    }
    case 'unmute':
    case 'kick':
      return person === null ? null : { action, target: person };
    case 'slowmode':
      return inRange(seconds, 0, MAX_SLOW_MODE_SECONDS) ? { action, seconds } : null;
  }
}
