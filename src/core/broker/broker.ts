import type { ChatMessage, RoomSummary } from '../../protocol/index.js';
import type { ChannelBus } from './channel-bus.js';
import type { RoomRecord, RoomStateStore } from './room-state.js';

/** A chat message before the broker gives it an id. */
export type ChatDraft = Omit<ChatMessage, 'id'>;

/** A slice of a room's chat log, oldest first. */
export interface ChatPage {
  /** Changes when the log starts afresh; ids of another epoch mean nothing. */
  epoch: string;
  /** Highest id issued so far in this epoch (0: none). */
  latestId: number;
  messages: ChatMessage[];
  /** Messages after the requested id were already evicted (the log keeps CHAT_HISTORY). */
  truncated: boolean;
}

/** Who holds a room's broadcast, as the cluster knows it. */
export interface BroadcastClaim {
  node: string;
  /** Fencing token: strictly increasing per room; the highest claim wins. */
  fence: number;
  since: number;
}

/** What crossed the bus from this node, since it started (all zero for a local broker). */
export interface BusStats {
  /** Frames handed to other nodes (notices published). */
  framesPublished: number;
  /** Frames skipped at this hop because a newer one came before the last was sent (latest wins). */
  framesSkipped: number;
  /** Frames fetched from other nodes, and their bytes. */
  framesFetched: number;
  bytesFetched: number;
}

/** The broker cannot do what was asked now (the bus is down): the caller refuses, never pretends. */
export class BusUnavailableError extends Error {
  override name = 'BusUnavailableError';
}

/**
 * What a broker reports to this node. Chat arrives for every watched room, whichever node posted
 * it (this one included), in id order per room; everything else concerns other nodes only.
 */
export interface BrokerEvents {
  chat(room: string, msg: ChatMessage, epoch: string): void;
  /** A frame from another node's broadcaster or encoder, for a tier this node consumes. */
  frame(room: string, tier: string, frame: Uint8Array): void;
  /** A broadcaster on another node claimed the room (claim) or stopped holding it (null). */
  remoteBroadcast(room: string, claim: BroadcastClaim | null): void;
  /** Viewers of a watched room on the other nodes, summed. */
  remoteViewers(room: string, viewers: number): void;
  /** Tiers of a room consumed on other nodes changed (only reported to the claim holder's node). */
  remoteDemand(room: string, tiers: ReadonlySet<string>): void;
  /** The bus went down or came back (a local broker never goes down). */
  busState(up: boolean): void;
  /** A record of a watched room's shared state changed (null: deleted), from any node, this one included. */
  roomState(room: string, key: string, record: RoomRecord | null): void;
}

/**
 * Everything rooms share beyond one node: frames, chat (ids, storage, history), the one
 * broadcaster per room, viewer counts and the room directory. `local` keeps it in this process
 * (chat in DATA_DIR); `redis` shares it between nodes. test/contract/broker.contract.ts holds
 * both to the same behaviour.
 */
export interface Broker {
  readonly nodeId: string;
  /** More than one node can share rooms through this broker. */
  readonly clustered: boolean;
  readonly up: boolean;
  /** `local` or `redis`, for logs and metrics. */
  readonly driver: string;
  /** Named channels of apps (the Pusher protocol's), on the same bus. */
  readonly channels: ChannelBus;
  /** Each room's shared records: settings, moderation state. */
  readonly roomState: RoomStateStore;
  stats(): BusStats;
  start(events: BrokerEvents): Promise<void>;
  close(): Promise<void>;

  /**
   * This node has people in `room`: deliver its chat and remote state from now on. A promise
   * when that state (broadcaster, viewers elsewhere) is still being read; it resolves once reported.
   */
  watch(room: string): Promise<void> | void;
  unwatch(room: string): void;

  /** This node has (`on`) or no longer has consumers of a room's tier. */
  consume(room: string, tier: string, on: boolean): void;
  /**
   * Hands a frame of a room this node broadcasts to the other nodes that consume its tier; latest
   * wins, nothing queues. `frame` must not change afterwards.
   */
  publishFrame(room: string, tier: string, frame: Uint8Array): void;
  /** The newest frame of a tier anywhere in the cluster, or null. */
  lastFrame(room: string, tier: string): Promise<Uint8Array | null>;

  /** Gives the message the room's next id, stores it and announces it, as one step. Rejects with BusUnavailableError. */
  postChat(room: string, draft: ChatDraft): Promise<ChatMessage>;
  /** Messages with id > since (null: the newest), at most `max`. */
  history(room: string, since: number | null, max: number): Promise<ChatPage>;
  /** `history` answered at once, for a broker that holds the log in this process (else absent). */
  historyNow?(room: string, since: number | null, max: number): ChatPage;

  /**
   * Claims the room's broadcast for a broadcaster on this node, with a fencing token higher than
   * any before: a claim from another node closes the older one (see `remoteBroadcast`). While the
   * bus is down the claim is made when it returns.
   */
  claim(room: string): void;
  /** Gives this node's claim on the room up. */
  release(room: string): void;
  /** The current claim on a room from anywhere, or null. */
  currentClaim(room: string): Promise<BroadcastClaim | null>;

  /** This node's viewer count of a room (coalesced by the caller). */
  reportViewers(room: string, viewers: number): void;

  /** This node's public summary of a room it broadcasts (null: withdraw it). */
  publishSummary(room: string, summary: RoomSummary | null): void;
  /** Public rooms of the whole cluster. */
  listRooms(): Promise<RoomSummary[]>;

  /** The room expired: its chat log and cached frames go with it. */
  forget(room: string): Promise<void>;
}
