import { BusUnavailableError, type ChatDraft, type ChatPage } from '../../core/broker/broker.js';
import { chatRecord, type Redaction } from '../../core/chat-record.js';
import type { ChatMessage } from '../../protocol/index.js';
import { newEpoch } from '../local/file-chat-store.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

export interface RedisChatOptions {
  conns: RedisConnections;
  keys: RedisKeys;
  capacity: number;
  ttlMs: number;
}

/**
 * Chat logs in Redis: a counter, a capped list and an epoch per room. Posting is one script
 * (id, store, publish), so a message is stored and announced, or neither.
 */
export class RedisChat {
  constructor(private readonly o: RedisChatOptions) {}

  async post(room: string, draft: ChatDraft): Promise<ChatMessage> {
    const { conns, keys } = this.o;
    if (!conns.isUp) throw new BusUnavailableError('the bus is down: chat cannot be stored');
    const msg = chatRecord(draft, 0);
    // Serialised once, here; the script splices the id in.
    const json = JSON.stringify(msg);
    const at = json.indexOf('"id":0') + 5;
    try {
      const [id] = await conns.cmd.postChat(keys.chatId(room), keys.chat(room), keys.epoch(room), keys.roomChannel(room), json.slice(0, at), json.slice(at + 1), this.o.capacity, this.o.ttlMs, newEpoch());
      msg.id = Number(id);
      return msg;
    } catch (err) {
      conns.noteError(err, 'post chat');
      throw new BusUnavailableError('chat could not be stored');
    }
  }

  async page(room: string, since: number | null, max: number): Promise<ChatPage> {
    const { conns, keys } = this.o;
    if (!conns.isUp) throw new BusUnavailableError('the bus is down: history cannot be read');
    try {
      const [epoch, latestId, items, truncated] = await conns.cmd.readChat(keys.chatId(room), keys.chat(room), keys.epoch(room), since ?? -1, max, newEpoch(), this.o.ttlMs);
      return { epoch, latestId: Number(latestId), messages: items.map((s) => JSON.parse(s) as ChatMessage), truncated: truncated === 1 };
    } catch (err) {
      conns.noteError(err, 'read chat');
      throw new BusUnavailableError('history could not be read');
    }
  }

  /** Tombstones stored messages in place, in one script (see REDACT_CHAT). */
  async redact(room: string, r: Redaction): Promise<number> {
    const { conns, keys } = this.o;
    if (!conns.isUp) throw new BusUnavailableError('the bus is down: chat cannot be changed');
    const args = 'through' in r ? ['through', r.through] : ['ids', ...r.ids];
    try {
      return Number(await conns.cmd.redactChat(keys.chatId(room), keys.chat(room), ...args));
    } catch (err) {
      conns.noteError(err, 'redact chat');
      throw new BusUnavailableError('chat could not be changed');
    }
  }

  /** Pipelined: keeps a watched room's log from expiring. */
  touch(p: { touchChat(...args: (string | number)[]): unknown }, room: string): void {
    const { keys } = this.o;
    p.touchChat(keys.chatId(room), keys.chat(room), keys.epoch(room), this.o.ttlMs);
  }
}
