import type { SendResult } from '../peer.js';

/**
 * What a channel tells its subscribers. The hub emits these; the transport of the protocol that
 * speaks in channels (Pusher's) turns each into its text once per node, never once per subscriber.
 */
export type ChannelEvent =
  /** An application or client event; `data` is the event's data as a string, `userId` the sender of a client event on a presence channel. */
  | { type: 'event'; channel: string; event: string; data: string; userId?: string }
  /** A user's first connection in the whole cluster joined the presence channel. */
  | { type: 'member_added'; channel: string; userId: string; userInfo: unknown }
  /** A user's last connection in the whole cluster left the presence channel. */
  | { type: 'member_removed'; channel: string; userId: string }
  /** A cache channel had no last event for a new subscriber. */
  | { type: 'cache_miss'; channel: string };

/** Turns channel events into one protocol's text messages. */
export interface ChannelEventEncoder {
  encode(event: ChannelEvent): string;
}

/** A connection subscribed to channels, as the hub sees it. The transport implements it. */
export interface ChannelSubscriber {
  /** The connection's id in its protocol; an event published "except socket X" skips it on every node. */
  readonly socketId: string;
  sendText(text: string): SendResult;
  /** A text send was dropped (the connection is too far behind): it must go. */
  onSendDropped(): void;
}
