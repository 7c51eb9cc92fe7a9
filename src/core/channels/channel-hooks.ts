/**
 * What happens to channels, for whoever reports it outside (the Pusher transport's webhooks).
 * Occupancy and membership are the whole cluster's: each transition is reported by exactly one
 * node, the one whose change made it (or the one that reaped a dead node's share).
 */
export interface ChannelHooks {
  /** The channel got its first subscriber in the cluster. */
  occupied(app: string, channel: string): void;
  /** The channel's last subscriber in the cluster left. */
  vacated(app: string, channel: string): void;
  memberAdded(app: string, channel: string, userId: string): void;
  memberRemoved(app: string, channel: string, userId: string): void;
  /** A client event was accepted (`userId`: its sender, on presence channels). */
  clientEvent(app: string, channel: string, event: string, data: string, socketId: string, userId?: string): void;
  /** A subscriber of a cache channel found no last event. */
  cacheMiss(app: string, channel: string): void;
}

const noop = (): void => {};
export const noopChannelHooks: ChannelHooks = {
  occupied: noop,
  vacated: noop,
  memberAdded: noop,
  memberRemoved: noop,
  clientEvent: noop,
  cacheMiss: noop,
};
