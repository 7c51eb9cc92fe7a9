import type { RoomRegistry } from '../../../core/room-registry.js';
import type { Room } from '../../../core/room.js';
import { senderColor } from '../../../core/sender-color.js';
import { checkName, type ChatMessage, type Sender } from '../../../protocol/index.js';

export interface RoomChatLimits {
  maxChatLength: number;
  maxNameLength: number;
}

export type ChatPost = { ok: true; text: string; name: string } | { ok: false; message: string };

// The sender of server-posted messages when the event names none.
const DEFAULT_NAME = 'server';

/**
 * Posts the `chat` events a backend triggers onto room.{room} into the room's chat: the message
 * gets its id, is stored and reaches everyone (native viewers and followers alike), exactly like
 * one typed in the room, from a sender with the role `server`.
 */
export class RoomChatPoster {
  constructor(
    private readonly rooms: RoomRegistry,
    private readonly limits: RoomChatLimits,
  ) {}

  /** Reads an event's data: JSON {"text", "name"?}; other fields (Laravel adds `socket`) are ignored. */
  read(data: string): ChatPost {
    let v: unknown;
    try {
      v = JSON.parse(data);
    } catch {
      v = null;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, message: 'chat event data must be JSON {"text": "...", "name": "..."}' };
    const { text, name } = v as Record<string, unknown>;
    if (typeof text !== 'string' || text.trim() === '') return { ok: false, message: 'chat event data needs a non-empty "text"' };
    if (text.length > this.limits.maxChatLength) return { ok: false, message: `chat text is longer than ${this.limits.maxChatLength} characters` };
    if (name !== undefined && name !== null && typeof name !== 'string') return { ok: false, message: 'chat "name" must be a string' };
    const named = checkName(name ?? '', this.limits.maxNameLength);
    if (!named.ok) return { ok: false, message: `chat "name" is not a valid name (${named.code})` };
    return { ok: true, text, name: named.name || DEFAULT_NAME };
  }

  /** The room, if it is live or has been in the cluster, or has people here. */
  async find(name: string): Promise<Room | null> {
    return (await this.rooms.findPublic(name)) ?? this.rooms.get(name) ?? null;
  }

  /** Resolves with the stored message (its id); rejects with BusUnavailableError. */
  post(room: Room, text: string, name: string): Promise<ChatMessage> {
    const from: Sender = { id: 'server', name, color: senderColor(`server:${name}`), role: 'server' };
    return room.postChat(from, text, undefined);
  }
}
