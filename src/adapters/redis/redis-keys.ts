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
