/** A JSON value a room record can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One record of a room's shared state: a setting, or (later) a mute or a ban. */
export interface RoomRecord {
  value: JsonValue;
  /** Ms since the Unix epoch after which the record is gone; null: it lives as long as the room. */
  expiresAt: number | null;
}

/** Record keys: short, and safe in file names, Redis hash fields and JSON without escaping. */
export const RECORD_KEY_PATTERN = /^[a-z0-9][a-z0-9:._-]{0,63}$/;

export function isRecordKey(key: string): boolean {
  return RECORD_KEY_PATTERN.test(key);
}

/** A record as it was announced or read, with expired ones taken for absent. */
export function liveRecord(record: RoomRecord | null | undefined, now = Date.now()): RoomRecord | null {
  if (!record) return null;
  return record.expiresAt !== null && record.expiresAt <= now ? null : record;
}

/**
 * A small store of records per room, shared by every node: room settings, and moderation state
 * (mutes, bans with an expiry, slow mode). A change is stored before it is announced, and
 * announced (`BrokerEvents.roomState`) to every node that watches the room, this one included, so
 * a room made private on one node is private on all of them at once. Records live as long as the
 * room's chat: ROOM_TTL after the room's last activity. A record with its own `ttlMs` also goes at
 * its expiry, without an announcement: readers treat an expired record as absent (`liveRecord`).
 *
 * Every method rejects with BusUnavailableError while the store cannot be reached.
 */
export interface RoomStateStore {
  get(room: string, key: string): Promise<RoomRecord | null>;
  /** `get` answered at once, for a store in this process (else absent). */
  getNow?(room: string, key: string): RoomRecord | null;
  /** Every live record of a room. */
  all(room: string): Promise<Map<string, RoomRecord>>;
  /** Replaces a record. */
  set(room: string, key: string, value: JsonValue, ttlMs?: number): Promise<RoomRecord>;
  /**
   * Merges `fields` into an object record (made if absent; an expired or non-object one starts
   * empty), as one step: concurrent merges of different fields from different nodes all hold.
   * The record keeps no expiry.
   */
  merge(room: string, key: string, fields: { [key: string]: JsonValue }): Promise<RoomRecord>;
  delete(room: string, key: string): Promise<void>;
  /** The room expired: its records go (a store shared through Redis lets them expire by TTL instead). */
  forget(room: string): Promise<void>;
}
