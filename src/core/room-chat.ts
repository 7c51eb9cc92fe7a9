import type { ChatMessage } from '../protocol/index.js';
import type { Broker, ChatDraft, ChatPage } from './broker/broker.js';
import { applyMarkers, isRemovable, tombstone } from './chat-record.js';
import type { Log } from './log.js';

export interface RoomChatSink {
  /** A message to hand to everyone here, in id order, each exactly once. */
  deliver(msg: ChatMessage): void;
  /** The log started afresh under another epoch; `page` is its newest messages. */
  reset(page: ChatPage): void;
}

/**
 * One room's chat on this node: the newest messages (so joins and recoveries are answered
 * from memory), kept gapless. Messages are announced by the broker in id order; one that skips
 * ids (this node missed some, e.g. while its subscription was reconnecting) waits while the
 * missing ones are read back, so people here never see a gap the node could have filled.
 */
export class RoomChat {
  epoch = '';
  private items: ChatMessage[] = [];
  private latest = 0;
  private ready = false;
  private readonly waiters: (() => void)[] = [];
  /** Announced while seeding or filling a gap: handled afterwards, in id order. */
  private held: { msg: ChatMessage; epoch: string }[] = [];
  private busy = false;
  private disposed = false;

  constructor(
    private readonly room: string,
    private readonly broker: Broker,
    private capacity: number,
    private readonly sink: RoomChatSink,
    private readonly log: Log,
  ) {
    // A log in this process is read at once: a new room's first joiner gets welcome, history
    // and the cached frame in one tick, as in every other room.
    if (broker.historyNow) this.seed(broker.historyNow(room, null, capacity));
    else void this.load(null);
  }

  private seed(page: ChatPage): void {
    this.epoch = page.epoch;
    this.items = applyMarkers(page.messages.slice(Math.max(0, page.messages.length - this.capacity)));
    this.latest = page.latestId;
    this.ready = true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get latestId(): number {
    return this.latest;
  }

  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  post(draft: ChatDraft): Promise<ChatMessage> {
    return this.broker.postChat(this.room, draft);
  }

  /** A message the broker announced. */
  onAnnounced(msg: ChatMessage, epoch: string): void {
    if (!this.ready || this.busy) {
      this.held.push({ msg, epoch });
      return;
    }
    if (epoch !== this.epoch) {
      this.held.push({ msg, epoch });
      void this.load(null);
      return;
    }
    if (msg.id <= this.latest) return;
    if (msg.id === this.latest + 1) {
      this.append(msg);
      this.sink.deliver(msg);
      return;
    }
    this.held.push({ msg, epoch });
    void this.load(this.latest);
  }

  /** The bus came back: messages may have been announced while this node could not hear them. */
  resync(): void {
    if (this.busy || this.disposed) return;
    void this.load(this.ready && this.epoch ? this.latest : null);
  }

  /**
   * Messages with id > since (null: the newest), oldest first, at most `max`. Memory holds the
   * same window as the log (CHAT_HISTORY), so older ones are gone everywhere: `truncated`.
   */
  page(since: number | null, max: number): ChatPage {
    const items = this.items;
    if (since === null) return { epoch: this.epoch, latestId: this.latest, messages: items.slice(Math.max(0, items.length - max)), truncated: false };
    const oldest = items[0]?.id ?? this.latest + 1;
    if (since >= this.latest) return { epoch: this.epoch, latestId: this.latest, messages: [], truncated: false };
    const start = Math.max(0, since + 1 - oldest);
    return { epoch: this.epoch, latestId: this.latest, messages: items.slice(start, start + max), truncated: since + 1 < oldest };
  }

  /** A message still in the window here, by id (tombstones included). */
  find(id: number): ChatMessage | undefined {
    const first = this.items[0]?.id;
    return first === undefined ? undefined : this.items[id - first];
  }

  /** The newest `n` messages, oldest first. */
  last(n: number): ChatMessage[] {
    return this.items.slice(Math.max(0, this.items.length - n));
  }

  /** Messages with id > since, oldest first; `truncated` when some of them were already evicted. */
  since(since: number): { messages: ChatMessage[]; truncated: boolean } {
    const page = this.page(since, this.items.length);
    return { messages: page.messages, truncated: page.truncated };
  }

  /** Changes how many messages are kept here; shrinking drops the oldest at once. */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    if (this.items.length > capacity) this.items.splice(0, this.items.length - capacity);
  }

  dispose(): void {
    this.disposed = true;
    this.items = [];
    this.held = [];
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Moderators' markers change what is kept (see chat-record.ts): a `delete` leaves a tombstone
   * where its target was, a `clear` drops everything before it. Ids stay consecutive either way.
   */
  private append(msg: ChatMessage): void {
    if (msg.kind === 'clear') this.items = [];
    else if (msg.kind === 'delete' && msg.target !== undefined) {
      const first = this.items[0]?.id ?? 0;
      const i = msg.target - first;
      const target = this.items[i];
      if (target && target.id === msg.target && isRemovable(target)) this.items[i] = tombstone(target);
    }
    this.items.push(msg);
    this.latest = msg.id;
    if (this.items.length > this.capacity) this.items.shift();
  }

  /**
   * Reads the log: from scratch (since null: a first load or a new epoch) or after `since`
   * (filling a gap), then handles what was held meanwhile.
   */
  private async load(since: number | null): Promise<void> {
    this.busy = true;
    try {
      for (;;) {
        let page: ChatPage;
        try {
          page = await this.broker.history(this.room, since, this.capacity);
        } catch (err) {
          // The bus is down: serve what is in memory; `resync` loads again when it is back.
          this.log.warn({ room: this.room, err: (err as Error).message }, 'chat history unavailable');
          break;
        }
        if (this.disposed) return;
        if (since === null || page.epoch !== this.epoch) {
          const fresh = this.ready && page.epoch !== this.epoch;
          this.epoch = page.epoch;
          this.items = applyMarkers(page.messages.slice(Math.max(0, page.messages.length - this.capacity)));
          this.latest = page.latestId;
          if (fresh) this.sink.reset(page);
          break;
        }
        for (const m of page.messages) {
          if (m.id !== this.latest + 1) continue;
          this.append(m);
          this.sink.deliver(m);
        }
        // Evicted before this node could read them: nothing more to fill.
        if (page.truncated && page.messages.length > 0 && page.messages[0]!.id > since + 1) {
          this.log.warn({ room: this.room, from: since + 1, to: page.messages[0]!.id - 1 }, 'chat messages evicted before this node read them');
        }
        if (this.latest >= page.latestId || page.messages.length === 0) break;
        since = this.latest;
      }
    } finally {
      this.busy = false;
    }
    if (this.disposed) return;
    if (!this.ready) {
      this.ready = true;
      for (const w of this.waiters.splice(0)) w();
    }
    const held = this.held;
    this.held = [];
    held.sort((a, b) => a.msg.id - b.msg.id);
    for (const h of held) this.onAnnounced(h.msg, h.epoch);
  }
}
