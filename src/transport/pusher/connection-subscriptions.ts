import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import type { ChannelSubscriber } from '../../core/channels/channel-events.js';
import type { ChannelHub } from '../../core/channels/channel-hub.js';
import type { Room } from '../../core/room.js';
import type { ChannelKind } from '../../protocol/pusher/channel-name.js';
import type { PusherSubscriptionErrorName } from '../../protocol/pusher/codes.js';
import { presenceSubscriptionSucceeded, subscriptionSucceeded } from '../../protocol/pusher/server-messages.js';
import type { Follower, RoomFollowers } from './rooms/room-followers.js';
import { checkSubscription } from './subscription-check.js';

export interface Subscription {
  kind: ChannelKind;
  cache: boolean;
  /** subscription_succeeded was sent. */
  active: boolean;
  /** Presence: the member this connection is. */
  userId?: string;
  /** room.{room}: stops following the room. */
  unfollow?: () => void;
}

/** The connection the subscriptions belong to. */
export interface SubscriptionOwner extends ChannelSubscriber, Follower {
  readonly userId: string | null;
}

export interface SubscriptionDeps {
  hub: ChannelHub;
  followers: RoomFollowers;
  maxChannels: number;
}

/**
 * A connection's channels: each checked (name, signature, member data), then completed by the
 * hub, which confirms it (subscription_succeeded, with the member list on presence channels)
 * before anything of the channel reaches the connection; room.{room} also follows the room.
 * A channel unsubscribed while its subscription is under way is simply never confirmed.
 */
export class ConnectionSubscriptions {
  private readonly subs = new Map<string, Subscription>();

  constructor(
    private readonly owner: SubscriptionOwner,
    private readonly app: PusherApp,
    private readonly deps: SubscriptionDeps,
    private readonly refused: (channel: string, error: PusherSubscriptionErrorName) => void,
  ) {}

  get(channel: string): Subscription | undefined {
    return this.subs.get(channel);
  }

  async subscribe(channel: string, auth: string | null, channelData: string | null): Promise<void> {
    // pusher-js never asks twice; a repeat changes nothing.
    if (this.subs.has(channel)) return;
    if (this.subs.size >= this.deps.maxChannels) return this.refused(channel, 'TOO_MANY_CHANNELS');
    const plan = checkSubscription(this.app, this.owner.socketId, this.owner.userId, { channel, auth, channelData });
    if (!plan.ok) return this.refused(channel, plan.error);
    const sub: Subscription = { kind: plan.kind, cache: plan.cache, active: false };
    if (plan.presence) sub.userId = plan.presence.userId;
    this.subs.set(channel, sub);
    const current = () => this.subs.get(channel) === sub;
    let room: Room | null = null;
    if (plan.room !== undefined) {
      const opened = await this.deps.followers.open(plan.room, {});
      if (!current()) return;
      if (!opened.ok) {
        this.subs.delete(channel);
        return this.refused(channel, opened.error);
      }
      room = opened.room;
    }
    const outcome = await this.deps.hub.subscribe({
      app: this.app.id,
      channel,
      subscriber: this.owner,
      cache: plan.cache,
      presence: plan.presence && { ...plan.presence, maxMembers: this.app.maxPresenceMembersPerChannel },
      succeeded: (members) => {
        sub.active = true;
        this.owner.sendText(members ? presenceSubscriptionSucceeded(channel, members) : subscriptionSucceeded(channel));
        if (room) sub.unfollow = this.deps.followers.follow(room, channel, this.owner);
      },
    });
    if (outcome === 'subscribed' || outcome === 'cancelled') return;
    if (current()) this.subs.delete(channel);
    this.refused(channel, outcome === 'presence_full' ? 'PRESENCE_FULL' : 'SERVER_ERROR');
  }

  unsubscribe(channel: string): void {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    sub.unfollow?.();
    this.deps.hub.unsubscribe(this.app.id, channel, this.owner);
  }

  /** The connection is gone: every channel is let go. */
  clear(): void {
    for (const channel of [...this.subs.keys()]) this.unsubscribe(channel);
  }
}
