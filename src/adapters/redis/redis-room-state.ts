import { BusUnavailableError } from '../../core/broker/broker.js';
import { isRecordKey, liveRecord, type JsonValue, type RoomRecord, type RoomStateStore } from '../../core/broker/room-state.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

// Each script stores and announces as one step, so a change is announced only once stored and
// never stored unannounced. Announcements go on the room channel, where every node watching the
// room listens (as for chat). Record keys match RECORD_KEY_PATTERN: no escaping needed in JSON.

/** KEYS: hash, room channel. ARGV: field, record JSON, ttl ms. */
const SET_RECORD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '{"t":"state","k":"' .. ARGV[1] .. '","r":' .. ARGV[2] .. '}')
return 1
`;

/** KEYS: hash, room channel. ARGV: field, fields JSON (an object), ttl ms, now ms. Returns the record JSON. */
const MERGE_RECORD = `
local v = {}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, rec = pcall(cjson.decode, current)
  if ok and type(rec) == 'table' and type(rec.v) == 'table' and (rec.x == nil or rec.x == cjson.null or tonumber(rec.x) > tonumber(ARGV[4])) then
    v = rec.v
  end
end
for k, value in pairs(cjson.decode(ARGV[2])) do v[k] = value end
local out = cjson.encode({v = v})
redis.call('HSET', KEYS[1], ARGV[1], out)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '{"t":"state","k":"' .. ARGV[1] .. '","r":' .. out .. '}')
return out
`;

/** KEYS: hash, room channel. ARGV: field. */
const DELETE_RECORD = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('PUBLISH', KEYS[2], '{"t":"state","k":"' .. ARGV[1] .. '","r":null}')
end
return 1
`;

type Args = (string | number)[];
type StateCommands = {
  setRoomRecord(...args: Args): Promise<number>;
  mergeRoomRecord(...args: Args): Promise<string>;
  deleteRoomRecord(...args: Args): Promise<number>;
};

/** A record as stored in its hash field: `v` the value, `x` the expiry (absent: none). */
export interface StoredRecord {
  v: JsonValue;
  x?: number | null;
}

export function recordFromStored(stored: unknown): RoomRecord | null {
  if (typeof stored !== 'object' || stored === null || !('v' in stored)) return null;
  const s = stored as StoredRecord;
  return { value: s.v, expiresAt: typeof s.x === 'number' ? s.x : null };
}

function parseStored(text: string): RoomRecord | null {
  try {
    return recordFromStored(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * Room records in Redis: one hash per room, one field per record, expiring ROOM_TTL after the
 * last change or the last renewal by a node that watches the room (`touch`), as chat does.
 */
export class RedisRoomState implements RoomStateStore {
  constructor(
    private readonly conns: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {
    conns.cmd.defineCommand('setRoomRecord', { numberOfKeys: 2, lua: SET_RECORD });
    conns.cmd.defineCommand('mergeRoomRecord', { numberOfKeys: 2, lua: MERGE_RECORD });
    conns.cmd.defineCommand('deleteRoomRecord', { numberOfKeys: 2, lua: DELETE_RECORD });
  }

  async get(room: string, key: string): Promise<RoomRecord | null> {
    const field = checkKey(key);
    const text = await this.run('read room state', () => this.conns.cmd.hget(this.keys.roomState(room), field));
    return text === null ? null : liveRecord(parseStored(text));
  }

  async all(room: string): Promise<Map<string, RoomRecord>> {
    const fields = await this.run('read room state', () => this.conns.cmd.hgetall(this.keys.roomState(room)));
    const now = Date.now();
    const out = new Map<string, RoomRecord>();
    for (const [k, text] of Object.entries(fields)) {
      const r = liveRecord(parseStored(text), now);
      if (r && isRecordKey(k)) out.set(k, r);
    }
    return out;
  }

  async set(room: string, key: string, value: JsonValue, ttlMs?: number): Promise<RoomRecord> {
    const record: RoomRecord = { value, expiresAt: ttlMs === undefined ? null : Date.now() + ttlMs };
    const stored: StoredRecord = record.expiresAt === null ? { v: value } : { v: value, x: record.expiresAt };
    const field = checkKey(key);
    await this.run('store room state', () => this.commands.setRoomRecord(...this.target(room), field, JSON.stringify(stored), this.ttlMs));
    return record;
  }

  async merge(room: string, key: string, fields: { [key: string]: JsonValue }): Promise<RoomRecord> {
    const field = checkKey(key);
    const out = await this.run('store room state', () => this.commands.mergeRoomRecord(...this.target(room), field, JSON.stringify(fields), this.ttlMs, Date.now()));
    return parseStored(out) ?? { value: fields, expiresAt: null };
  }

  async delete(room: string, key: string): Promise<void> {
    const field = checkKey(key);
    await this.run('store room state', () => this.commands.deleteRoomRecord(...this.target(room), field));
  }

  /** Shared records expire by themselves: another node may still have people in the room. */
  async forget(): Promise<void> {}

  /** Pipelined: keeps a watched room's records from expiring. */
  touch(p: { pexpire(key: string, ms: number): unknown }, room: string): void {
    p.pexpire(this.keys.roomState(room), this.ttlMs);
  }

  private get commands(): StateCommands {
    return this.conns.cmd as unknown as StateCommands;
  }

  private target(room: string): [string, string] {
    return [this.keys.roomState(room), this.keys.roomChannel(room)];
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (!this.conns.isUp) throw new BusUnavailableError(`the bus is down: cannot ${what}`);
    try {
      return await command();
    } catch (err) {
      this.conns.noteError(err, what);
      throw new BusUnavailableError(`could not ${what}`);
    }
  }
}

function checkKey(key: string): string {
  if (!isRecordKey(key)) throw new Error('not a record key');
  return key;
}
