import { liveRecord, type RoomRecord, type RoomStateStore } from '../broker/room-state.js';
import type { Log } from '../log.js';
import { ADDRESS_BAN_PREFIX, BAN_PREFIX, KICK_PREFIX, MUTE_PREFIX, untilOf } from './moderation-records.js';

/** A connection as moderation sees it. */
export interface ModeratedMember {
  readonly sender: { readonly id: string; readonly role: string };
  /** The address it came from, hashed (bans remember it). */
  readonly addressTag?: string;
  /** Its person was muted until `until`, or unmuted (null). */
  onMuted?(until: number | null): void;
  /** A moderator removed it: kicked (`until` null) or banned until `until`. */
  onRemoved?(until: number | null): void;
}

export type ChatCheck = { ok: true } | { ok: false; code: 'MUTED' | 'SLOW_MODE'; until: number };

// Slow mode remembers when each person last posted; people gone this long are forgotten.
const SLOW_MODE_SWEEP = 1000;

/**
 * One room's mutes, bans and slow mode on this node. The state is the room's shared records
 * (see moderation-records.ts): read when the room is made, kept current by the store's
 * announcements, which reach every node holding the room. A node enforces on its own
 * connections: a kick or ban closes them, a mute is told to them and refuses their chat. The
 * broadcaster is never muted, kicked or banned; moderators are not muted and not slowed.
 */
export class RoomModeration {
  private readonly mutes = new Map<string, number>();
  private readonly bans = new Map<string, number>();
  /** Slow mode: when each person last posted here. */
  private readonly lastPost = new Map<string, number>();
  private read = false;
  readonly loaded: Promise<void>;

  constructor(
    private readonly room: string,
    private readonly store: RoomStateStore,
    private readonly members: () => Iterable<ModeratedMember>,
    private readonly log: Log,
    subscribed: Promise<void> | null = null,
  ) {
    if (store.allNow) {
      try {
        this.fill(store.allNow(room));
      } catch {
        // unreadable: nothing is known, nothing enforced until a reload
      }
      this.read = true;
      this.loaded = Promise.resolve();
    } else {
      this.loaded = (subscribed ?? Promise.resolve())
        .then(() => store.all(room))
        .then(
          (records) => this.fill(records),
          () => {},
        )
        .then(() => {
          this.read = true;
        });
    }
  }

  get isRead(): boolean {
    return this.read;
  }

  /** Reads the records again (after the bus came back: announcements may have been missed). */
  async reload(): Promise<void> {
    try {
      const records = await this.store.all(this.room);
      this.mutes.clear();
      this.bans.clear();
      this.fill(records);
    } catch {
      // still unreachable: what is known stays in force
    }
  }

  mutedUntil(id: string, now = Date.now()): number | null {
    const until = this.mutes.get(id);
    return until !== undefined && until > now ? until : null;
  }

  /** When a ban of this person, or of this address, ends; null: neither is banned. */
  bannedUntil(id: string | null, addressTag: string | null, now = Date.now()): number | null {
    let until = 0;
    for (const key of [id === null ? null : BAN_PREFIX + id, addressTag === null ? null : ADDRESS_BAN_PREFIX + addressTag]) {
      const u = key === null ? undefined : this.bans.get(key);
      if (u !== undefined && u > now) until = Math.max(until, u);
    }
    return until > 0 ? until : null;
  }

  /**
   * Whether a person's chat message may be posted now: not muted, and past slow mode. Exempt
   * (broadcaster, moderators): always. `noteChat` records a message that was posted.
   */
  checkChat(id: string, exempt: boolean, slowModeSeconds: number, now = Date.now()): ChatCheck {
    if (exempt) return { ok: true };
    const muted = this.mutedUntil(id, now);
    if (muted !== null) return { ok: false, code: 'MUTED', until: muted };
    if (slowModeSeconds > 0) {
      const last = this.lastPost.get(id);
      const next = last === undefined ? 0 : last + slowModeSeconds * 1000;
      if (next > now) return { ok: false, code: 'SLOW_MODE', until: next };
    }
    return { ok: true };
  }

  noteChat(id: string, slowModeSeconds: number, now = Date.now()): void {
    if (slowModeSeconds <= 0) return;
    this.lastPost.set(id, now);
    if (this.lastPost.size > SLOW_MODE_SWEEP) {
      for (const [k, at] of this.lastPost) if (now - at > slowModeSeconds * 1000) this.lastPost.delete(k);
    }
  }

  /** A record of the room changed, on any node (this one included). */
  onRecord(key: string, record: RoomRecord | null): void {
    const live = liveRecord(record);
    const until = live ? untilOf(live.value) : null;
    if (key.startsWith(MUTE_PREFIX)) {
      const id = key.slice(MUTE_PREFIX.length);
      if (until !== null) this.mutes.set(id, until);
      else this.mutes.delete(id);
      for (const m of this.people(id)) m.onMuted?.(until);
    } else if (key.startsWith(BAN_PREFIX) || key.startsWith(ADDRESS_BAN_PREFIX)) {
      if (until !== null) this.bans.set(key, until);
      else this.bans.delete(key);
      if (until !== null && key.startsWith(BAN_PREFIX)) this.removeHere(key.slice(BAN_PREFIX.length), until);
    } else if (key.startsWith(KICK_PREFIX) && live) {
      this.removeHere(key.slice(KICK_PREFIX.length), null);
    }
  }

  dispose(): void {
    this.lastPost.clear();
  }

  private fill(records: Map<string, RoomRecord>): void {
    const now = Date.now();
    for (const [key, record] of records) {
      const until = untilOf(liveRecord(record, now)?.value);
      if (until === null) continue;
      if (key.startsWith(MUTE_PREFIX)) this.mutes.set(key.slice(MUTE_PREFIX.length), until);
      else if (key.startsWith(BAN_PREFIX) || key.startsWith(ADDRESS_BAN_PREFIX)) this.bans.set(key, until);
    }
  }

  /** This node's connections of a person, the broadcaster's never. */
  private people(id: string): ModeratedMember[] {
    const out: ModeratedMember[] = [];
    for (const m of this.members()) if (m.sender.id === id && m.sender.role !== 'broadcaster') out.push(m);
    return out;
  }

  /**
   * Closes a kicked or banned person's connections here. A ban also covers the addresses they
   * are connected from: each node stores those of its own connections, so the ban holds if the
   * person comes back under another identity.
   */
  private removeHere(id: string, banUntil: number | null): void {
    const now = Date.now();
    for (const m of this.people(id)) {
      const key = m.addressTag ? ADDRESS_BAN_PREFIX + m.addressTag : null;
      if (banUntil !== null && key !== null && banUntil > now && (this.bans.get(key) ?? 0) < banUntil) {
        this.bans.set(key, banUntil);
        this.store.set(this.room, key, { until: banUntil }, banUntil - now).catch((err: unknown) => {
          this.log.warn({ room: this.room, err: err instanceof Error ? err.message : String(err) }, 'address ban not stored');
        });
      }
      m.onRemoved?.(banUntil);
    }
  }
}
