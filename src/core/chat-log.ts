import type { ChatMessage } from '../protocol/index.js';

/** Bounded, id-ordered chat history of one room. Ids start at 1 and never repeat within an epoch. */
export class ChatLog {
  private readonly items: ChatMessage[] = [];
  private nextId = 1;

  constructor(private capacity: number) {}

  get latestId(): number {
    return this.nextId - 1;
  }

  append(make: (id: number) => ChatMessage): ChatMessage {
    const msg = make(this.nextId++);
    this.items.push(msg);
    if (this.items.length > this.capacity) this.items.shift();
    return msg;
  }

  /** Messages with id > since, oldest first; `truncated` when some of them were already evicted. */
  since(since: number, max = this.capacity): { messages: ChatMessage[]; truncated: boolean } {
    const oldest = this.items[0]?.id ?? this.nextId;
    const truncated = since + 1 < oldest && since < this.latestId;
    // Ids are consecutive, so the first one after `since` is found by arithmetic, not a scan.
    const start = Math.max(0, Math.min(this.items.length, since + 1 - oldest));
    if (start >= this.items.length) return { messages: [], truncated };
    const all = this.items.slice(start);
    const messages = all.length > max ? all.slice(all.length - max) : all;
    return { messages, truncated: truncated || messages.length < all.length };
  }

  last(n: number): ChatMessage[] {
    return this.items.slice(Math.max(0, this.items.length - n));
  }

  /** Changes how many messages are kept; shrinking drops the oldest at once. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    if (this.items.length > capacity) this.items.splice(0, this.items.length - capacity);
  }
}
