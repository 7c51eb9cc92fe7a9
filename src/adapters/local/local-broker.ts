import { randomBytes } from 'node:crypto';
import type { BroadcastClaim, Broker, BrokerEvents, BusStats, ChatDraft, ChatPage } from '../../core/broker/broker.js';
import type { ChatMessage, RoomSummary } from '../../protocol/index.js';
import { FileChatStore } from './file-chat-store.js';
import { LocalRoomState } from './local-room-state.js';
import { MemoryChatStore } from './memory-chat-store.js';
import { LocalChannelBus } from './local-channel-bus.js';

export interface LocalBrokerOptions {
  /** Where chat logs and room records are kept; null: in memory only (lost with the process). */
  dataDir: string | null;
  chatHistory: number;
  /** Chat logs untouched for longer than this are deleted at start (their rooms expired while the server was down). */
  roomTtlMs: number;
}

/**
 * The single-node broker, the embedded default: there are no other nodes, so frames, viewer
 * counts and summaries stay in the rooms themselves; chat is kept in DATA_DIR so that it, and
 * its ids and epoch, outlive a restart.
 */
export class LocalBroker implements Broker {
  readonly nodeId = `local-${randomBytes(3).toString('hex')}`;
  readonly clustered = false;
  readonly up = true;
  readonly driver = 'local';
  readonly channels = new LocalChannelBus();
  private events: BrokerEvents | null = null;
  private readonly store: FileChatStore | MemoryChatStore;
  private readonly claims = new Map<string, BroadcastClaim>();
  private fences = new Map<string, number>();
  readonly roomState: LocalRoomState;
  private touchTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LocalBrokerOptions) {
    this.store = opts.dataDir === null ? new MemoryChatStore(opts.chatHistory) : new FileChatStore(opts.dataDir, opts.chatHistory);
    // Written before it is announced, like chat.
    this.roomState = new LocalRoomState(opts.dataDir, (room, key, record) => this.events?.roomState(room, key, record));
  }

  stats(): BusStats {
    return { framesPublished: 0, framesSkipped: 0, framesFetched: 0, bytesFetched: 0 };
  }

  async start(events: BrokerEvents): Promise<void> {
    this.events = events;
    this.store.prune(this.opts.roomTtlMs);
    this.roomState.prune(this.opts.roomTtlMs);
    // Records of rooms in use must not look expired at the next start.
    this.touchTimer = setInterval(() => this.roomState.touchHeld(), Math.max(1000, Math.min(60_000, this.opts.roomTtlMs / 4)));
    this.touchTimer.unref();
  }

  async close(): Promise<void> {
    this.events = null;
    if (this.touchTimer) clearInterval(this.touchTimer);
    this.touchTimer = null;
  }

  watch(room: string): void {
    this.roomState.hold(room);
  }

  unwatch(room: string): void {
    this.store.unload(room);
    this.roomState.release(room);
  }

  consume(): void {}
  publishFrame(): void {}

  async lastFrame(): Promise<Uint8Array | null> {
    return null;
  }

  async postChat(room: string, draft: ChatDraft): Promise<ChatMessage> {
    // Written before it is announced: a message anyone saw survives a crash.
    const { msg, epoch } = this.store.append(room, draft);
    this.events?.chat(room, msg, epoch);
    return msg;
  }

  async history(room: string, since: number | null, max: number): Promise<ChatPage> {
    return this.store.page(room, since, max);
  }

  historyNow(room: string, since: number | null, max: number): ChatPage {
    return this.store.page(room, since, max);
  }

  claim(room: string): void {
    const fence = (this.fences.get(room) ?? 0) + 1;
    this.fences.set(room, fence);
    this.claims.set(room, { node: this.nodeId, fence, since: Date.now() });
  }

  release(room: string): void {
    this.claims.delete(room);
  }

  async currentClaim(room: string): Promise<BroadcastClaim | null> {
    return this.claims.get(room) ?? null;
  }

  reportViewers(): void {}
  publishSummary(_room: string, _summary: RoomSummary | null): void {}

  async listRooms(): Promise<RoomSummary[]> {
    return [];
  }

  async forget(room: string): Promise<void> {
    this.store.remove(room);
    this.claims.delete(room);
    this.fences.delete(room);
  }
}
