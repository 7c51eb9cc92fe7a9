/** Every key and channel the Redis broker uses, under one prefix (REDIS_PREFIX). */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  node(id: string): string {
    return `${this.prefix}node:${id}`;
  }
  /** Room events: chat, claims, viewer counts, tier demand. */
  roomChannel(room: string): string {
    return `${this.prefix}room:${room}`;
  }
  /** Notices that a tier has a new frame; subscribers are the nodes that consume it. */
  frameChannel(room: string, tier: string): string {
    return `${this.prefix}frames:${room}:${tier}`;
  }
  frame(room: string, tier: string): string {
    return `${this.prefix}frame:${room}:${tier}`;
  }
  chatId(room: string): string {
    return `${this.prefix}chat-id:${room}`;
  }
  chat(room: string): string {
    return `${this.prefix}chat:${room}`;
  }
  epoch(room: string): string {
    return `${this.prefix}chat-epoch:${room}`;
  }
  claim(room: string): string {
    return `${this.prefix}claim:${room}`;
  }
  fence(room: string): string {
    return `${this.prefix}fence:${room}`;
  }
  viewers(room: string): string {
    return `${this.prefix}viewers:${room}`;
  }
  summary(room: string): string {
    return `${this.prefix}summary:${room}`;
  }
  /** A room's shared records (settings, moderation state): one hash field per record. */
  roomState(room: string): string {
    return `${this.prefix}room-state:${room}`;
  }
  rooms(): string {
    return `${this.prefix}rooms`;
  }

  // ---- the channel bus (apps' named channels); app ids and channel names carry no ':' ----

  /** The head of every channel bus key: the reaping script builds keys from it (channel-bus-scripts.ts). */
  busBase(): string {
    return `${this.prefix}cb:`;
  }
  /** Nodes that may hold a share (set); each is reaped once its liveness key is gone. */
  busNodes(): string {
    return `${this.busBase()}nodes`;
  }
  /** One node's absolute shares: share entry -> count (hash). */
  busShare(node: string): string {
    return `${this.busBase()}share:${node}`;
  }
  /** Changes only when Redis lost its data: tells a resync that rebuilds from one that catches up. */
  busEpoch(): string {
    return `${this.busBase()}epoch`;
  }
  /** An app's occupied channels: channel -> cluster subscription total (hash). */
  busSubscriptions(app: string): string {
    return `${this.busBase()}subs:${app}`;
  }
  /** An app's presence channels: channel -> number of members (hash). */
  busUsers(app: string): string {
    return `${this.busBase()}users:${app}`;
  }
  /** A presence channel's members: user -> cluster connection count (hash). */
  busPresence(app: string, channel: string): string {
    return `${this.busBase()}presence:${app}:${channel}`;
  }
  /** A presence channel's members: user -> info JSON (hash). */
  busMembers(app: string, channel: string): string {
    return `${this.busBase()}members:${app}:${channel}`;
  }
  /** An app's connections: node -> count (hash). */
  busConnections(app: string): string {
    return `${this.busBase()}conns:${app}`;
  }
  busCache(app: string, channel: string): string {
    return `${this.busBase()}cache:${app}:${channel}`;
  }
  /** Pub/sub: events of one channel of an app. */
  busChannel(app: string, channel: string): string {
    return `${this.busBase()}ch:${app}:${channel}`;
  }
  /** Pub/sub: control messages of an app, to every node with its connections. */
  busControl(app: string): string {
    return `${this.busBase()}ctl:${app}`;
  }

  /** The room and tier of a frame channel, or null. */
  parseFrameChannel(channel: string): { room: string; tier: string } | null {
    const head = `${this.prefix}frames:`;
    if (!channel.startsWith(head)) return null;
    const rest = channel.slice(head.length);
    const i = rest.lastIndexOf(':');
    return i > 0 ? { room: rest.slice(0, i), tier: rest.slice(i + 1) } : null;
  }

  parseRoomChannel(channel: string): string | null {
    const head = `${this.prefix}room:`;
    return channel.startsWith(head) ? channel.slice(head.length) : null;
  }
}
