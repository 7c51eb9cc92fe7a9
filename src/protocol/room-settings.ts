/** A room's settings, as `GET`/`PUT /api/rooms/:room/settings` carry them. */
export interface RoomSettings {
  /** Viewing, chatting, snapshots and MJPEG need a viewer token; the room is never listed. */
  private: boolean;
  /** Join and leave notices in the chat. */
  joinNotices: boolean;
  /** One chat message per this many seconds per person; 0: off. */
  slowModeSeconds: number;
}

export const DEFAULT_ROOM_SETTINGS: Readonly<RoomSettings> = Object.freeze({ private: false, joinNotices: true, slowModeSeconds: 0 });

export const MAX_SLOW_MODE_SECONDS = 3600;

export type SettingsPatch = Partial<RoomSettings>;

/**
 * Checks a settings change as a client sent it: a JSON object with known fields only, each of
 * its type and range. Fields left out keep their value. Returns the reason for a refusal.
 */
export function parseSettingsPatch(body: unknown): { ok: true; patch: SettingsPatch } | { ok: false; detail: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, detail: 'the body must be a JSON object' };
  const patch: SettingsPatch = {};
  for (const [field, value] of Object.entries(body)) {
    switch (field) {
      case 'private':
      case 'joinNotices':
        if (typeof value !== 'boolean') return { ok: false, detail: `${field} must be true or false` };
        patch[field] = value;
        break;
      case 'slowModeSeconds':
        if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_SLOW_MODE_SECONDS) {
          return { ok: false, detail: `slowModeSeconds must be an integer from 0 to ${MAX_SLOW_MODE_SECONDS}` };
        }
        patch.slowModeSeconds = value as number;
        break;
      default:
        return { ok: false, detail: `unknown field ${JSON.stringify(field.slice(0, 40))}` };
    }
  }
  return { ok: true, patch };
}

/**
 * Settings from what a store holds: known fields of the right type, defaults for the rest, so
 * a record written by another version never breaks a room.
 */
export function settingsFrom(stored: unknown): RoomSettings {
  const s = { ...DEFAULT_ROOM_SETTINGS };
  if (typeof stored !== 'object' || stored === null) return s;
  const o = stored as Record<string, unknown>;
  if (typeof o.private === 'boolean') s.private = o.private;
  if (typeof o.joinNotices === 'boolean') s.joinNotices = o.joinNotices;
  if (Number.isSafeInteger(o.slowModeSeconds) && (o.slowModeSeconds as number) >= 0) s.slowModeSeconds = Math.min(o.slowModeSeconds as number, MAX_SLOW_MODE_SECONDS);
  return s;
}
