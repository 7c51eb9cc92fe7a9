import type { ChannelEvent, ChannelSubscriber } from './channel-events.js';
import type { CountSync } from './count-sync.js';

// Events that arrive for a subscriber still waiting for its subscription to complete are held,
// then sent right after subscription_succeeded. Beyond this many the subscriber is too far behind.
const MAX_HELD = 100;
// A member change announced by another node can arrive after a new subscriber read the member
// list that already reflects it. For this long after its confirmation, a presence subscriber's
// member events are checked against the list it was given, so it never hears twice of one join.
export const LISTED_GRACE_MS = 5000;

interface Held {
  event: ChannelEvent;
  text: string;
}

/** A presence channel's user, as connected to this node. */
export interface LocalUser {
  /** This node's connections of the user in the channel. */
  readonly sync: CountSync;
  /** The user's info (JSON), as the member list shows it. */
  info: string;
  /** The connection whose subscription made the latest change: a member_added it caused skips it. */
  cause: string | undefined;
}

/**
 * One channel's subscribers on this node: those subscribed, and those whose subscription is
 * still being completed (their events are held until it is). Presence channels also keep this
 * node's connection count per user.
 */
export class LocalChannel {
  readonly active = new Set<ChannelSubscriber>();
  private readonly pending = new Map<ChannelSubscriber, Held[] | null>();
  /** New presence subscribers: the members they know of, until the grace period ends. */
  private readonly listed = new Map<ChannelSubscriber, { users: Set<string>; until: number }>();
  /** Presence: the user each subscriber (pending or active) is a member as. */
  readonly memberships = new Map<ChannelSubscriber, string>();
  readonly users = new Map<string, LocalUser>();
  /** The bus delivers this channel here (resolved once subscribed). */
  listening: Promise<void> | null = null;

  constructor(
    readonly app: string,
    readonly name: string,
    readonly subscriptions: CountSync,
  ) {}

  get subscriberCount(): number {
    return this.active.size + this.pending.size;
  }

  /** No subscriber and no count left to report: the entry can go. */
  get idle(): boolean {
    if (this.subscriberCount > 0 || !this.subscriptions.idle) return false;
    for (const u of this.users.values()) if (!u.sync.idle || u.sync.value > 0) return false;
    return true;
  }

  isPending(s: ChannelSubscriber): boolean {
    return this.pending.has(s);
  }

  addPending(s: ChannelSubscriber): void {
    this.pending.set(s, []);
  }

  /**
   * Makes a pending subscriber active; returns what it was sent meanwhile, to send now, or null
   * when it fell too far behind (or was not pending).
   */
  activate(s: ChannelSubscriber): Held[] | null {
    const held = this.pending.get(s);
    this.pending.delete(s);
    if (!held) return null;
    this.active.add(s);
    return held;
  }

  /**
   * What a subscriber just confirmed is sent next: the held events, in order. With a member list
   * (presence), member events it already reflects are left out, now and for LISTED_GRACE_MS.
   */
  afterConfirmation(s: ChannelSubscriber, held: readonly Held[], members: ReadonlyMap<string, unknown> | null, now: number): string[] {
    if (!members) return held.map((h) => h.text);
    const users = new Set(members.keys());
    this.listed.set(s, { users, until: now + LISTED_GRACE_MS });
    return held.filter((h) => news(users, h.event)).map((h) => h.text);
  }

  /** Removes a subscriber, pending or active; true when it was active. */
  remove(s: ChannelSubscriber): boolean {
    this.pending.delete(s);
    this.listed.delete(s);
    return this.active.delete(s);
  }

  /** Sends an event's text to every subscriber here but `except`; returns how many got it. */
  deliver(event: ChannelEvent, text: string, except: string | undefined): number {
    let n = 0;
    const member = this.listed.size > 0 && (event.type === 'member_added' || event.type === 'member_removed');
    const now = member ? Date.now() : 0;
    for (const s of this.active) {
      if (s.socketId === except) continue;
      if (member && !this.newTo(s, event, now)) continue;
      n++;
      if (s.sendText(text) === 'dropped') s.onSendDropped();
    }
    for (const [s, held] of this.pending) {
      if (s.socketId === except || held === null) continue;
      if (held.length >= MAX_HELD) this.pending.set(s, null);
      else held.push({ event, text });
    }
    return n;
  }

  private newTo(s: ChannelSubscriber, event: ChannelEvent, now: number): boolean {
    const l = this.listed.get(s);
    if (!l) return true;
    if (now > l.until) {
      this.listed.delete(s);
      return true;
    }
    return news(l.users, event);
  }
}

/**
 * Whether a member event tells a subscriber whose member list is `users` something new, updating
 * the list: a member_added of a listed user, or a member_removed of one not listed, is not.
 */
function news(users: Set<string>, e: ChannelEvent): boolean {
  if (e.type === 'member_added') {
    if (users.has(e.userId)) return false;
    users.add(e.userId);
  } else if (e.type === 'member_removed') {
    if (!users.delete(e.userId)) return false;
  }
  return true;
}
