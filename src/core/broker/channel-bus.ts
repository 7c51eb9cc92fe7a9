/**
 * Named channels of an app shared between nodes, for the protocols that speak in channels
 * (Pusher's): pub/sub of events, who is subscribed where (occupancy), presence members, the last
 * event of cache channels, per-app connection counts and control messages to every node.
 *
 * Every count is kept per node as an absolute value ("node N has 3 subscribers of C"), never as
 * increments: re-reporting after a bus outage cannot double anything, a node that dies is
 * removed as a whole (its share is reaped once its lease expires), and cluster totals are sums.
 * `local` keeps all of it in this process; `redis` in Redis. test/contract/channel-bus-contract.ts
 * holds both drivers to the same behaviour.
 *
 * Each time a cluster total crosses 0 (a channel occupied or vacated, a member's first
 * connection or last), exactly one node is told: the caller of the set call that made it, the
 * node that reaped a dead node (`reaped`), or the node whose shares were applied again after an
 * outage (`resynced`). One exception: when Redis comes back empty (its data lost), every node
 * rebuilds the state its clients already know, and nothing of that rebuild is reported.
 */

/** The cluster-wide count of something before and after this node changed its share. */
export interface CountChange {
  before: number;
  after: number;
}

/** What a channel bus reports to this node. */
export interface ChannelBusEvents {
  /** A payload published on a channel this node listens to (any node's, this one's included). */
  message(app: string, channel: string, payload: string): void;
  /** A payload sent to every node that listens to the app (e.g. "terminate this user's connections"). */
  control(app: string, payload: string): void;
  /**
   * A dead node's share was removed by this node (exactly one node reaps each dead node):
   * `userId` left the presence channel for good, or (userId null) the channel has no subscriber left.
   */
  reaped(app: string, channel: string, userId: string | null): void;
  /**
   * A change this node's shares made when applied again: values set while the bus was down
   * (their calls rejected), shares removed while this node was stalled past its lease, or
   * shares a previous run with the same node id left behind. Announce it as if a set call had
   * returned it: `userId`'s count in the presence channel, or (userId null) the channel's
   * subscription total, went from `before` to `after`. Never reported for a rebuild after Redis
   * lost its data (see above). A driver that never loses the bus (local) never reports it.
   */
  resynced?(app: string, channel: string, userId: string | null, change: CountChange): void;
}

export interface ChannelBus {
  start(events: ChannelBusEvents): void;

  /** This node has subscribers of the channel: deliver its messages (resolves once subscribed). */
  listen(app: string, channel: string): Promise<void> | void;
  unlisten(app: string, channel: string): void;
  /** This node has connections of the app: deliver its control messages. */
  listenApp(app: string): void;
  unlistenApp(app: string): void;

  /** Publishes to every node listening to the channel. Rejects with BusUnavailableError. */
  publish(app: string, channel: string, payload: string): Promise<void>;
  /** Sends to every node listening to the app. Rejects with BusUnavailableError. */
  control(app: string, payload: string): Promise<void>;

  // The set calls below keep the value even when they reject with BusUnavailableError (the bus is
  // down): it is applied when the bus is back, and what it changes then is reported through
  // `resynced`. A value set twice counts once.

  /** Sets this node's subscription count of a channel; the cluster-wide total before and after. */
  setSubscriptions(app: string, channel: string, count: number): Promise<CountChange>;
  /**
   * Sets this node's connection count of a user in a presence channel (0: none left here), with
   * the user's info (JSON); the user's cluster-wide connection count before and after
   * (before 0: a new member; after 0: the member left).
   */
  setPresence(app: string, channel: string, userId: string, count: number, info: string): Promise<CountChange>;
  /** Presence members of a channel in the whole cluster: user id -> info (JSON). Rejects with BusUnavailableError, as do the reads below. */
  members(app: string, channel: string): Promise<Map<string, string>>;
  /** Occupied channels of an app in the whole cluster, with subscription and (presence) user counts. */
  channels(app: string): Promise<Map<string, { subscriptions: number; users: number }>>;

  /** Keeps the last event of a cache channel (payload), for `ttlMs`. */
  setCache(app: string, channel: string, payload: string, ttlMs: number): Promise<void>;
  getCache(app: string, channel: string): Promise<string | null>;

  /**
   * Sets this node's connection count of an app; the cluster-wide total (this node's count now,
   * the other nodes' as read every few seconds). Never fails: while the bus is down the other
   * nodes' counts are the last known.
   */
  setConnections(app: string, count: number): number;
}
