import type { AudienceMember, AudienceMessage, AudienceRole, NoticePerson, RoomSettings, Sender } from '../../protocol/index.js';
import type { ChatDraft } from '../broker/broker.js';
import type { Log } from '../log.js';
import type { Peer } from '../peer.js';
import type { RoomEvent } from '../room-events.js';
import type { AudienceRoster } from './audience-roster.js';
import { JoinNotices, noticeDraft } from './join-notices.js';

/** What an audience needs of its room. */
export interface AudienceHost {
  readonly name: string;
  /** Viewers in the whole cluster (WebSockets and MJPEG streams). */
  readonly viewers: number;
  readonly settings: RoomSettings | null;
  emit(event: RoomEvent): void;
  /** Posts a notice to the room's chat (an id, stored, on every node). */
  postNotice(draft: ChatDraft): Promise<unknown>;
}

/** A connection that is one of the room's people. */
export interface AudienceConnection {
  readonly sender: Sender;
  readonly audienceRole: AudienceRole;
  readonly peer: Peer;
}

export interface AudienceOptions {
  /** Names an `audience` message lists at most. */
  listMax: number;
  /** The list is sent at most this often (rooms of more than 250 viewers: less often, see `schedule`). */
  intervalMs: number;
  /** A connection that leaves counts this much longer, so a quick reconnect is neither a leave nor a join. */
  graceMs: number;
  /** Joins and leaves within this window make one notice each. */
  noticeWindowMs: number;
  /** No join and leave notices while the room has more viewers than this; 0: none at all. */
  noticesMaxViewers: number;
}

export const DEFAULT_AUDIENCE_OPTIONS: Readonly<AudienceOptions> = Object.freeze({
  listMax: 50,
  intervalMs: 1000,
  graceMs: 5000,
  noticeWindowMs: 1500,
  noticesMaxViewers: 100,
});

// People remembered by id for notices: those here, and those who left lately.
const KNOWN_MAX = 2000;
// Connections not on the list (the member limit, or the bus was down) tried again per refresh.
const RETRIES_PER_REFRESH = 5;
// In rooms this large, every this many viewers more stretch the interval by one (up to MAX_STRETCH).
const VIEWERS_PER_STEP = 250;
const MAX_STRETCH = 10;

const ORDER: Record<AudienceRole, number> = { broadcaster: 0, moderator: 1, viewer: 1, follower: 1 };

/**
 * Who is in one room, as this node tells its connections: each connection is counted for its
 * person in the shared roster (a connection that leaves counts `graceMs` longer), and the
 * cluster-wide list goes out as `audience` (first `listMax` names, broadcaster first, and the
 * total), coalesced, only when it changed. First joins and last leaves this node made become
 * join and leave notices in the chat, coalesced over `noticeWindowMs`, when the room wants them.
 */
export class RoomAudience {
  private readonly here = new Map<AudienceConnection, AudienceMember>();
  private readonly known = new Map<string, AudienceMember>();
  private readonly leaving = new Map<AudienceConnection, NodeJS.Timeout>();
  /** Connections here whose person the roster did not take (full, or unreachable): tried again later. */
  private readonly unlisted = new Set<AudienceConnection>();
  private readonly notices: JoinNotices;
  private unwatch: (() => void) | null;
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private lastJson: string | null = null;
  /** Members at the last refresh (-1: none yet, or the bus came back): fewer now may make room for the unlisted. */
  private lastCount = -1;
  private disposed = false;

  constructor(
    private readonly host: AudienceHost,
    private readonly roster: AudienceRoster,
    private readonly opts: AudienceOptions,
    private readonly log: Log,
  ) {
    this.notices = new JoinNotices(opts.noticeWindowMs, (joined, left) => this.tell(joined, left));
    this.unwatch = this.watch();
  }

  /** The newest list, as sent (null: none yet). */
  get current(): AudienceMessage | null {
    return this.lastJson === null ? null : (JSON.parse(this.lastJson) as AudienceMessage);
  }

  /** The role the list gives an id, if it lists it or the person is here. */
  roleOf(id: string): AudienceRole | undefined {
    for (const who of this.here.values()) if (who.id === id) return who.role;
    return this.current?.members.find((m) => m.id === id)?.role;
  }

  add(conn: AudienceConnection): void {
    if (this.disposed) return;
    const { id, name, color } = conn.sender;
    const who: AudienceMember = { id, name, color, role: conn.audienceRole };
    this.here.set(conn, who);
    this.remember(who);
    // The list as it stands, at once; the next one says whether this connection is on it.
    if (this.lastJson !== null) conn.peer.sendText(this.lastJson);
    this.join(conn, who);
  }

  private join(conn: AudienceConnection, who: AudienceMember): void {
    this.roster.join(this.host.name, conn, who).then(
      (listed) => {
        if (!listed && this.here.has(conn)) this.unlisted.add(conn);
        this.schedule();
      },
      (err: unknown) => {
        if (this.here.has(conn)) this.unlisted.add(conn);
        this.log.warn({ room: this.host.name, err: err instanceof Error ? err.message : String(err) }, 'audience join not counted');
      },
    );
  }

  /** Some who could not be listed may fit now (people left, the bus is back): they try again. */
  private retryUnlisted(): void {
    let n = 0;
    for (const conn of this.unlisted) {
      if (n++ >= RETRIES_PER_REFRESH) break;
      this.unlisted.delete(conn);
      const who = this.here.get(conn);
      if (!who) continue;
      this.roster.leave(this.host.name, conn);
      this.join(conn, who);
    }
  }

  remove(conn: AudienceConnection): void {
    this.unlisted.delete(conn);
    if (!this.here.delete(conn)) return;
    const timer = setTimeout(() => {
      this.leaving.delete(conn);
      this.roster.leave(this.host.name, conn);
      this.schedule();
    }, this.opts.graceMs);
    timer.unref();
    this.leaving.set(conn, timer);
  }

  /** This node made a person's first join (true) or last leave (false) in the cluster. */
  onTransition(userId: string, joined: boolean): void {
    const who = this.known.get(userId);
    if (!who || who.role === 'broadcaster' || this.disposed) return;
    this.notices.add(joined ? 'join' : 'leave', { id: who.id, name: who.name, color: who.color });
  }

  /** A person here is about to post: a notice of their joining, still held, goes first. */
  beforeSaid(id: string): void {
    this.notices.flushFor(id);
  }

  /** Something the list shows may have changed: send it again soon. */
  schedule(): void {
    if (this.timer || this.disposed) return;
    const stretch = Math.min(MAX_STRETCH, Math.max(1, Math.ceil(this.host.viewers / VIEWERS_PER_STEP)));
    const wait = Math.max(0, this.lastAt + this.opts.intervalMs * stretch - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, wait);
    this.timer.unref();
  }

  /** The bus came back: listen for changes again and send the list anew. */
  resync(): void {
    if (this.disposed) return;
    this.unwatch?.();
    this.unwatch = this.watch();
    this.lastCount = -1;
    this.schedule();
  }

  /**
   * The room is gone here. Connections still in their grace period leave now when the server
   * shuts down (`now`); otherwise they leave when it ends, so a quick reconnect into a room made
   * anew is still no leave and join.
   */
  dispose(now: boolean): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.notices.dispose();
    this.unwatch?.();
    this.unwatch = null;
    if (!now) return;
    for (const [conn, timer] of this.leaving) {
      clearTimeout(timer);
      this.roster.leave(this.host.name, conn);
    }
    this.leaving.clear();
  }

  private watch(): (() => void) | null {
    try {
      return this.roster.watch(this.host.name, () => this.schedule());
    } catch {
      return null;
    }
  }

  private remember(who: AudienceMember): void {
    this.known.delete(who.id);
    this.known.set(who.id, who);
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
  }

  private async refresh(): Promise<void> {
    this.lastAt = Date.now();
    let members: AudienceMember[];
    try {
      members = await this.roster.members(this.host.name);
    } catch {
      return; // the bus is down: the list stays as it was; resync sends it again
    }
    if (this.disposed) return;
    if (this.unlisted.size > 0 && (this.lastCount < 0 || members.length < this.lastCount)) this.retryUnlisted();
    this.lastCount = members.length;
    members.sort((a, b) => ORDER[a.role] - ORDER[b.role] || a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || (a.id < b.id ? -1 : 1));
    const listed = members.slice(0, this.opts.listMax);
    // Viewers who are no member (MJPEG streams, those past a member limit) count too.
    const nativeViewers = members.filter((m) => m.role === 'viewer' || m.role === 'moderator').length;
    const total = members.length + Math.max(0, this.host.viewers - nativeViewers);
    const msg: AudienceMessage = { type: 'audience', members: listed, total, truncated: total > listed.length };
    const json = JSON.stringify(msg);
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.host.emit({ type: 'audience', json });
  }

  private tell(joined: NoticePerson[], left: NoticePerson[]): void {
    const settings = this.host.settings;
    const max = this.opts.noticesMaxViewers;
    if (this.disposed || !settings?.joinNotices || max <= 0 || this.host.viewers > max) return;
    const at = Date.now();
    for (const [kind, people] of [['join', joined], ['leave', left]] as const) {
      if (people.length === 0) continue;
      this.host.postNotice(noticeDraft(kind, people, at)).catch(() => {
        this.log.warn({ room: this.host.name }, 'join or leave notice not posted');
      });
    }
  }
}
