import type { ChannelBus, CountChange } from '../broker/channel-bus.js';
import type { Log } from '../log.js';
import { encodeBusMessage, parseUserInfo, type BusMessage } from './bus-message.js';
import type { ChannelSubscriber } from './channel-events.js';
import type { ChannelHooks } from './channel-hooks.js';
import { CountSync } from './count-sync.js';
import type { LocalChannel, LocalUser } from './local-channel.js';

export interface PresenceJoin {
  userId: string;
  /** The user's info as JSON, as the member list shows it. */
  info: string;
  /** A new user is refused once the channel has this many members in the cluster. */
  maxMembers: number;
}

/**
 * Presence channels' members: this node reports its connection count per user and channel, and
 * the cluster-wide before/after decides: member_added when a user's first connection anywhere
 * joins, member_removed when their last leaves. Each is reported (hooks) by the node that made
 * the change and announced through the bus to every node's subscribers; a member_added skips the
 * connection that caused it (that one gets the member list instead).
 */
export class ChannelPresence {
  constructor(
    private readonly bus: ChannelBus,
    private readonly hooks: ChannelHooks,
    private readonly log: Log,
    /** Hands a report's outcome back to the hub (logging, releasing the channel). */
    private readonly settle: (ch: LocalChannel, report: Promise<void>) => void,
  ) {}

  /** Whether the user may join: already a member here or anywhere, or the channel has room. */
  async hasRoom(ch: LocalChannel, p: PresenceJoin): Promise<boolean> {
    if (ch.users.get(p.userId)?.sync.value) return true;
    const now = await this.bus.members(ch.app, ch.name);
    return now.has(p.userId) || now.size < p.maxMembers;
  }

  /** Counts the subscriber's connection for its user; resolves once the bus has it. */
  async join(ch: LocalChannel, sub: ChannelSubscriber, p: PresenceJoin): Promise<void> {
    ch.memberships.set(sub, p.userId);
    let u = ch.users.get(p.userId);
    if (!u) {
      const user: LocalUser = {
        info: p.info,
        cause: undefined,
        sync: new CountSync(
          (n) => this.bus.setPresence(ch.app, ch.name, p.userId, n, user.info),
          (c) => this.onChange(ch, p.userId, user, c),
        ),
      };
      ch.users.set(p.userId, (u = user));
    }
    u.info = p.info;
    u.cause = sub.socketId;
    await u.sync.set(u.sync.value + 1);
  }

  /** The subscriber's connection no longer counts for its user (if it was a member). */
  leave(ch: LocalChannel, sub: ChannelSubscriber): void {
    const userId = ch.memberships.get(sub);
    if (userId === undefined) return;
    ch.memberships.delete(sub);
    const u = ch.users.get(userId);
    if (!u) return;
    u.cause = sub.socketId;
    this.settle(ch, u.sync.set(Math.max(0, u.sync.value - 1)));
  }

  /** The channel's members in the cluster (user id -> info). */
  async members(app: string, channel: string): Promise<Map<string, unknown>> {
    return new Map([...(await this.bus.members(app, channel))].map(([id, info]) => [id, parseUserInfo(info)]));
  }

  /** A dead node's user left for good (the bus reaped it here). */
  reaped(app: string, channel: string, userId: string): void {
    this.hooks.memberRemoved(app, channel, userId);
    this.announce(app, channel, { k: 'r', u: userId });
  }

  /** A change found when the bus applied this node's counts again (see ChannelBusEvents.resynced). */
  resynced(app: string, channel: string, userId: string, c: CountChange, info: string | null): void {
    this.transition(app, channel, userId, c, info ?? '{}', undefined);
  }

  private onChange(ch: LocalChannel, userId: string, u: LocalUser, c: CountChange): void {
    this.transition(ch.app, ch.name, userId, c, u.info, u.cause);
  }

  private transition(app: string, channel: string, userId: string, c: CountChange, info: string, cause: string | undefined): void {
    if (c.before === 0 && c.after > 0) {
      this.hooks.memberAdded(app, channel, userId);
      const m: BusMessage = { k: 'a', u: userId, i: info };
      if (cause !== undefined) m.x = cause;
      this.announce(app, channel, m);
    } else if (c.after === 0 && c.before > 0) {
      this.hooks.memberRemoved(app, channel, userId);
      this.announce(app, channel, { k: 'r', u: userId });
    }
  }

  private announce(app: string, channel: string, m: BusMessage): void {
    this.bus.publish(app, channel, encodeBusMessage(m)).catch((err: unknown) => {
      this.log.warn({ app, err: err instanceof Error ? err.message : String(err) }, 'presence change could not be announced');
    });
  }
}
