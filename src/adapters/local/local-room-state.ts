import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRecordKey, liveRecord, type JsonValue, type RoomRecord, type RoomStateStore } from '../../core/broker/room-state.js';
import { isValidRoomName } from '../../protocol/index.js';

type Records = Map<string, RoomRecord>;
type Announce = (room: string, key: string, record: RoomRecord | null) => void;

/**
 * Room records in this process, kept in DATA_DIR/room-state/<room>.json when there is a data
 * directory (else in memory, lost with the process). A change is written to a new file renamed
 * over the old one, with the rename done before the change is announced: a SIGKILL leaves the
 * old file or the new one, never half of either, and never loses a change anyone was told of.
 *
 * Only rooms this node watches stay in memory; others are read from disk when asked for, so
 * made-up room names cost a failed open, not memory. Files of watched rooms are touched while
 * they are watched, so at the next start a file's age is the time since its room was last in
 * use, and files older than ROOM_TTL are deleted then, as the chat logs are.
 *
 * Room names are [a-z0-9_-] (checked here too), so they are safe file names.
 */
export class LocalRoomState implements RoomStateStore {
  private readonly dir: string | null;
  private readonly held = new Map<string, Records>();
  /** Without a data directory: everything, for as long as the process runs. */
  private readonly memory = new Map<string, Records>();

  constructor(
    dataDir: string | null,
    private readonly announce: Announce,
  ) {
    this.dir = dataDir === null ? null : join(dataDir, 'room-state');
    if (this.dir) mkdirSync(this.dir, { recursive: true });
  }

  async get(room: string, key: string): Promise<RoomRecord | null> {
    return this.getNow(room, key);
  }

  getNow(room: string, key: string): RoomRecord | null {
    return liveRecord(this.records(room).get(key));
  }

  async all(room: string): Promise<Map<string, RoomRecord>> {
    const now = Date.now();
    const out = new Map<string, RoomRecord>();
    for (const [k, r] of this.records(room)) if (liveRecord(r, now)) out.set(k, r);
    return out;
  }

  async set(room: string, key: string, value: JsonValue, ttlMs?: number): Promise<RoomRecord> {
    const record: RoomRecord = { value, expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs };
    return this.write(room, key, record);
  }

  async merge(room: string, key: string, fields: { [key: string]: JsonValue }): Promise<RoomRecord> {
    const current = liveRecord(this.records(room).get(key))?.value;
    const base = typeof current === 'object' && current !== null && !Array.isArray(current) ? current : {};
    return this.write(room, key, { value: { ...base, ...fields }, expiresAt: null });
  }

  async delete(room: string, key: string): Promise<void> {
    const records = this.records(room);
    if (!records.delete(checkKey(key))) return;
    this.save(room, records);
    this.announce(room, key, null);
  }

  async forget(room: string): Promise<void> {
    this.held.delete(room);
    this.memory.delete(room);
    if (this.dir && isValidRoomName(room)) rmSync(this.file(room), { force: true });
  }

  /** This node holds the room: keep its records in memory. */
  hold(room: string): void {
    if (!this.held.has(room)) this.held.set(room, this.read(room));
  }

  /** This node no longer holds the room: its records stay on disk only. */
  release(room: string): void {
    this.held.delete(room);
  }

  /** Marks the files of held rooms as in use (see the class comment). */
  touchHeld(now = new Date()): void {
    if (!this.dir) return;
    for (const room of this.held.keys()) {
      try {
        utimesSync(this.file(room), now, now);
      } catch {
        // no records yet: no file
      }
    }
  }

  /** Deletes files not touched for `ttlMs`: their rooms expired while no server held them. */
  prune(ttlMs: number, now = Date.now()): void {
    if (!this.dir) return;
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      try {
        if (now - statSync(file).mtimeMs > ttlMs) rmSync(file, { force: true });
      } catch {
        // removed meanwhile
      }
    }
  }

  private write(room: string, key: string, record: RoomRecord): RoomRecord {
    const records = this.records(room);
    records.set(checkKey(key), record);
    this.save(room, records);
    this.announce(room, key, record);
    return record;
  }

  private records(room: string): Records {
    if (!isValidRoomName(room)) throw new Error('not a room name');
    if (!this.dir) {
      let m = this.memory.get(room);
      if (!m) this.memory.set(room, (m = new Map()));
      return m;
    }
    return this.held.get(room) ?? this.read(room);
  }

  private save(room: string, records: Records): void {
    if (!this.dir) return;
    const now = Date.now();
    const out: Record<string, { v: JsonValue; x?: number }> = {};
    for (const [k, r] of records) {
      if (!liveRecord(r, now)) continue;
      out[k] = r.expiresAt === null ? { v: r.value } : { v: r.value, x: r.expiresAt };
    }
    const file = this.file(room);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(out) + '\n');
    renameSync(tmp, file);
  }

  private read(room: string): Records {
    const records: Records = new Map();
    if (!this.dir) return records;
    let text: string;
    try {
      text = readFileSync(this.file(room), 'utf8');
    } catch {
      return records;
    }
    try {
      const parsed = JSON.parse(text) as Record<string, { v?: JsonValue; x?: unknown }>;
      for (const [k, r] of Object.entries(parsed)) {
        if (!isRecordKey(k) || typeof r !== 'object' || r === null || !('v' in r)) continue;
        records.set(k, { value: r.v as JsonValue, expiresAt: typeof r.x === 'number' ? r.x : null });
      }
    } catch {
      // A damaged file (it is replaced whole, so only by hand): its records are gone.
    }
    return records;
  }

  private file(room: string): string {
    return join(this.dir!, `${room}.json`);
  }
}

function checkKey(key: string): string {
  if (!isRecordKey(key)) throw new Error('not a record key');
  return key;
}
