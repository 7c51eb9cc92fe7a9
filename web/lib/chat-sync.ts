import type { ChatMessage, HistoryMessage } from '../../src/protocol/index.js';

export type ChatSyncResult = {
  /** Messages to show (already de-duplicated). */
  show: ChatMessage[];
  /** The log started afresh: drop what is shown. */
  reset: boolean;
  /** Ask the server for the messages after this id. */
  request: number | null;
};

// After a fresh chat log, the newest this many messages are fetched.
const FRESH_HISTORY = 50;

/**
 * Tracks the highest chat id seen in one chat epoch, so a reconnect (`since=`) or a gap in ids
 * recovers exactly what was missed, and a restarted log (new epoch) is not mixed with the old one.
 */
export class ChatSync {
  private epoch: string | null = null;
  private lastId = 0;
  private pendingSince: number | null = null;

  /** For the next connection's `since=` (null: no history yet, take the server's default). */
  get since(): number | null {
    return this.epoch === null ? null : this.lastId;
  }

  get epochId(): string | null {
    return this.epoch;
  }

  /** Call just before connecting: the first `history` answers the `since` sent now. */
  connecting(): void {
    this.pendingSince = this.since;
  }

  /** The `since` of the history request in flight (null: none). */
  get pending(): number | null {
    return this.pendingSince;
  }

  onHistory(h: HistoryMessage): ChatSyncResult {
    const asked = this.pendingSince;
    this.pendingSince = null;
    let r: ChatSyncResult;
    if (h.chatEpoch !== this.epoch) {
      const wasKnown = this.epoch !== null;
      this.epoch = h.chatEpoch;
      this.lastId = 0;
      // These messages answer "after id N" of a log that no longer exists: fetch the new log's tail instead.
      if (wasKnown && asked !== null && asked > 0) return this.ask({ show: [], reset: true, request: null }, Math.max(0, h.latestId - FRESH_HISTORY));
      r = { show: this.take(h.messages), reset: wasKnown, request: null };
    } else {
      r = { show: this.take(h.messages), reset: false, request: null };
    }
    // One page of a longer reply: ask for the next. Servers that do not page never set `more`;
    // a page that would not move forward is not followed.
    const next = h.more === true ? (h.nextSince ?? h.messages[h.messages.length - 1]?.id) : undefined;
    if (typeof next === 'number' && (asked === null || next > asked)) return this.ask(r, next);
    return r;
  }

  onChat(m: ChatMessage): ChatSyncResult {
    if (this.epoch === null) return { show: [m], reset: false, request: null };
    if (m.id <= this.lastId) return { show: [], reset: false, request: null };
    if (m.id === this.lastId + 1) {
      this.lastId = m.id;
      return { show: [m], reset: false, request: null };
    }
    // A gap: show the message now; lastId moves when the requested history fills the hole.
    if (this.pendingSince !== null) return { show: [m], reset: false, request: null };
    this.pendingSince = this.lastId;
    return { show: [m], reset: false, request: this.lastId };
  }

  private ask(r: ChatSyncResult, since: number): ChatSyncResult {
    this.pendingSince = since;
    return { ...r, request: since };
  }

  private take(messages: ChatMessage[]): ChatMessage[] {
    const out = messages.filter((m) => m.id > this.lastId);
    for (const m of out) this.lastId = Math.max(this.lastId, m.id);
    return out;
  }
}
