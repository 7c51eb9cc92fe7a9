import { LocalBroker } from '../../src/adapters/local/local-broker.js';
import { silentLog } from '../../src/core/log.js';
import { RoomChat } from '../../src/core/room-chat.js';
import type { RoomOptions } from '../../src/core/room-options.js';
import type { Sender } from '../../src/protocol/index.js';
import { RoomRegistry } from '../../src/core/room-registry.js';

/** A registry on the single-node broker with chat in memory: rooms as one server holds them. */
export function localRooms(opts: RoomOptions, ttlMs = 60_000, maxWaiting?: number): RoomRegistry {
  const broker = new LocalBroker({ dataDir: null, chatHistory: opts.chatHistory, roomTtlMs: ttlMs });
  const rooms = new RoomRegistry(opts, broker, ttlMs, maxWaiting);
  // The local broker takes its listener at once (no await inside before it is set).
  void broker.start(rooms);
  return rooms;
}

/**
 * One room's chat on the single-node broker with memory storage, and a way to post to it: what
 * a room holds, without the room.
 */
export function memoryChat(capacity: number): { chat: RoomChat; post(text: string, from?: Sender): void } {
  const broker = new LocalBroker({ dataDir: null, chatHistory: capacity, roomTtlMs: 60_000 });
  const chat = new RoomChat('chat', broker, capacity, { deliver: () => {}, reset: () => {} }, silentLog);
  void broker.start({ chat: (_room, msg, epoch) => chat.onAnnounced(msg, epoch), frame() {}, remoteBroadcast() {}, remoteViewers() {}, remoteDemand() {}, busState() {}, roomState() {} });
  const anyone: Sender = { id: 'a', name: 'A', color: 'red', role: 'viewer' };
  return {
    chat,
    // The local broker stores and announces before its first await: the message is in `chat` on return.
    post: (text, from = anyone) => void broker.postChat('chat', { type: 'chat', at: 0, from, text }),
  };
}
