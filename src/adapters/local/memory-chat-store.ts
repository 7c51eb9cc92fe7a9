import type { ChatDraft, ChatPage } from '../../core/broker/broker.js';
import type { ChatMessage } from '../../protocol/index.js';
import { chatRecord, isRemovable, redacts, tombstone, type Redaction } from '../../core/chat-record.js';
import { newEpoch } from './file-chat-store.js';

interface RoomLog {
  epoch: string;
  latestId: number;
  messages: ChatMessage[];
}

/** Chat logs in memory only (no DATA_DIR): lost with the process. Same answers as FileChatStore. */
export class MemoryChatStore {
  private readonly logs = new Map<string, RoomLog>();

  constructor(private readonly capacity: number) {}

  append(room: string, draft: ChatDraft): { msg: ChatMessage; epoch: string } {
    const log = this.load(room);
    const msg = chatRecord(draft, log.latestId + 1);
    log.latestId = msg.id;
    log.messages.push(msg);
    if (log.messages.length > this.capacity) log.messages.shift();
    return { msg, epoch: log.epoch };
  }

  page(room: string, since: number | null, max: number): ChatPage {
    const { epoch, latestId, messages } = this.load(room);
    if (since === null) return { epoch, latestId, messages: messages.slice(Math.max(0, messages.length - max)), truncated: false };
    const oldest = messages[0]?.id ?? latestId + 1;
    const start = Math.max(0, since + 1 - oldest);
    return { epoch, latestId, messages: messages.slice(start, start + max), truncated: since + 1 < oldest && since < latestId };
  }

  redact(room: string, r: Redaction): number {
    const log = this.logs.get(room);
    if (!log) return 0;
    let changed = 0;
    log.messages = log.messages.map((m) => {
      if (!redacts(r, m.id) || !isRemovable(m)) return m;
      changed++;
      return tombstone(m);
    });
    return changed;
  }

  prune(): void {}
  unload(): void {}

  remove(room: string): void {
    this.logs.delete(room);
  }

  private load(room: string): RoomLog {
    let log = this.logs.get(room);
    if (!log) {
      log = { epoch: newEpoch(), latestId: 0, messages: [] };
      this.logs.set(room, log);
    }
    return log;
  }
}
