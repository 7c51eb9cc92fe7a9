import {
  FRAME_HEADER_BYTES,
  readJpegSize,
  writeRelayedAt,
  type ChatMessage,
  type ImageSize,
  type RoomSettings,
  type RoomSummary,
  type Sender,
  type TierInfo,
} from '../protocol/index.js';
import type { BroadcastClaim, Broker, ChatPage } from './broker/broker.js';
import { EdgeTiers, fitsTier } from './edge-tiers.js';
import { FpsMeter } from './fps-meter.js';
import { FrameChannel } from './frame-channel.js';
import type { FrameSink, Peer } from './peer.js';
import { RoomChat } from './room-chat.js';
import { RoomSettingsHolder } from './room-settings-holder.js';
import type { EventEncoder, RoomEvent } from './room-events.js';
import type { RoomOptions } from './room-options.js';
import { copyWithoutMetadata } from './strip-jpeg-metadata.js';
import type { TierOrigin } from './telemetry.js';

/** A connection inside a room, as rooms see it. */
export interface Member {
  readonly peer: Peer;
  readonly sender: Sender;
  /** Turns room events into this member's protocol. */
  readonly encoder: EventEncoder;
  quality: string;
  /** A text send to this member was dropped; the member must reconnect and recover. */
  onSendDropped(): void;
  /** Another broadcaster took the room over, on this node or another: this one must go. */
  onReplaced(): void;
  /** The room turned private or public: the member checks what it may still do, and goes if nothing. */
  onAccessChanged?(isPrivate: boolean): void;
  /** The broadcaster: the tiers someone consumes may have changed (see `demandedTiers`). */
  onDemandChanged?(): void;
}

/** Notified of every accepted source frame, e.g. to recompress it into other tiers. */
export interface FrameTap {
  onSourceFrame(room: Room, frame: Uint8Array, headerLen: number): void;
  /**
   * Asked before an accepted frame is published to `source`. Returning true means the tap
   * publishes the source tier itself (e.g. downscaled) with `publishTier('source', ...)`.
   */
  replacesSource?(room: Room, frame: Uint8Array, headerLen: number): boolean;
  /** A tier gained a consumer (here or on another node): the tap can produce a frame for it now. */
  onTierDemand?(room: Room, quality: string): void;
  /** The room is gone: let go of whatever was kept for it. */
  onRoomDisposed?(room: Room): void;
  /** The broadcaster started (edge) or stopped (server) encoding a tier itself. */
  onTierOrigin?(room: Room, quality: string, origin: TierOrigin): void;
}

/** What a room tells its registry about itself. */
export interface RoomEvents {
  /** A broadcaster went live in the room for the first time: from now on the room is public. */
  wentPublic(room: Room): void;
  /** The last member or viewer sink left the room. */
  emptied(room: Room): void;
  /** The broadcaster here went live or offline: the cluster's directory should know. */
  liveChanged(room: Room): void;
}

// A frame younger than this is current enough for a snapshot.
const FRESH_MS = 2000;

function relayedAtOf(frame: Uint8Array): number {
  return frame.length >= 24 ? new DataView(frame.buffer, frame.byteOffset, 24).getFloat64(16, true) : 0;
}

// Chat messages a room that has never been live keeps: anyone can make such a room up, so its
// memory stays small until a broadcaster (who holds a key) has been live in it.
export const WAITING_ROOM_CHAT = 50;

/** A viewer without a session (an MJPEG response): frames only, ended when the room goes offline. */
export interface ViewerSink extends FrameSink {
  /** The broadcaster left or the room is being dropped; the sink should end and remove itself. */
  onOffline(): void;
  /** Came with a token that grants `watch`: stays when the room turns private. */
  readonly canWatchPrivate?: boolean;
}


/**
 * One room on this node. Its broadcaster may be here or on another node (then frames, the live
 * state and other nodes' viewers come through the broker); its chat is the broker's (RoomChat).
 * The room emits typed events; each member's protocol serialises them, once per protocol.
 *
 * A room nobody has been live in yet ("waiting") costs little: its tiers and frame meter are
 * made when first needed, and its chat keeps WAITING_ROOM_CHAT messages until it first goes live.
 */
export class Room {
  readonly chat: RoomChat;
  /** Tiers made so far (see `channel`). */
  readonly channels = new Map<string, FrameChannel>();
  private readonly members = new Set<Member>();
  /** Members that follow the room's events without watching (see `listen`). */
  private readonly listeners = new Set<Member>();
  /** Viewers that are not connections with a session, e.g. MJPEG responses: quality per sink. */
  private readonly extraViewers = new Map<ViewerSink, string>();
  private fpsMeter: FpsMeter | null = null;
  private everLive = false;
  private broadcasterMember: Member | null = null;
  /** The broadcaster is on another node. */
  private remoteClaim: BroadcastClaim | null = null;
  private localViewers = 0;
  private remoteViewers = 0;
  /** Tiers consumed on other nodes, while the broadcaster is here. */
  private remoteDemand: ReadonlySet<string> = new Set();
  /** Which tiers the broadcaster here encodes itself; made at its first `encoding`. */
  private edgeTiers: EdgeTiers | null = null;
  private presenceTimer: NodeJS.Timeout | null = null;
  private presenceSent = { viewers: -1, live: false, local: -1 };
  private disposed = false;
  private readonly synced: Promise<void>;
  private readonly isSynced: () => boolean;
  private readonly settingsHolder: RoomSettingsHolder;
  liveSince: number | null = null;
  offlineSince: number | null = null;
  lastActivity = Date.now();
  width: number | null = null;
  height: number | null = null;
  framesAccepted = 0;

  constructor(
    readonly name: string,
    private readonly opts: RoomOptions,
    private readonly broker: Broker,
    private readonly taps: readonly FrameTap[] = [],
    private readonly events: RoomEvents | null = null,
  ) {
    const watching = broker.watch(name);
    let synced = !watching;
    this.synced = (watching ?? Promise.resolve()).then(() => {
      synced = true;
    });
    this.isSynced = () => synced;
    this.chat = new RoomChat(name, broker, Math.min(opts.chatHistory, WAITING_ROOM_CHAT), {
      deliver: (msg) => this.emit({ type: 'chat', msg }),
      reset: (page: ChatPage) => this.emit({ type: 'chat-reset', epoch: page.epoch, latestId: page.latestId }),
    }, opts.log);
    this.settingsHolder = new RoomSettingsHolder(name, broker.roomState, (isPrivate) => this.onPrivacyChanged(isPrivate), watching ?? null);
  }

  /** The room's chat, settings and state on the other nodes are known here: joins can be answered. */
  get isReady(): boolean {
    return this.chat.isReady && this.isSynced() && this.settingsHolder.isRead;
  }

  async whenReady(): Promise<void> {
    await Promise.all([this.synced, this.chat.whenReady(), this.settingsHolder.loaded]);
  }

  /** The settings in force, or null while they are not known (the store could not be read). */
  get settings(): RoomSettings | null {
    return this.settingsHolder.current;
  }

  /** A room is listed (GET /api/rooms, home page, per-room metrics) once public, and only while known not to be private. */
  get listed(): boolean {
    const s = this.settingsHolder.current;
    return this.everLive && s !== null && !s.private;
  }

  /** New settings, from the store's announcement or from the node that changed them. */
  applySettings(settings: RoomSettings): void {
    this.lastActivity = Date.now();
    this.settingsHolder.apply(settings);
  }

  reloadSettings(): Promise<void> {
    return this.settingsHolder.reload();
  }

  /** Turned private: everyone here without a token that grants `watch` is sent away. */
  private onPrivacyChanged(isPrivate: boolean): void {
    for (const m of [...this.members]) m.onAccessChanged?.(isPrivate);
    if (!isPrivate) return;
    for (const sink of [...this.extraViewers.keys()]) {
      if (sink.canWatchPrivate) continue;
      this.removeViewerSink(sink);
      sink.onOffline();
    }
  }

  get live(): boolean {
    return this.broadcasterMember !== null || this.remoteClaim !== null;
  }

  /** A broadcaster has been live here: the room is listed, and outlives its members by ROOM_TTL. */
  get public(): boolean {
    return this.everLive;
  }

  /** Viewers in the whole cluster. */
  get viewers(): number {
    return this.localViewers + this.remoteViewers;
  }

  /** Viewers connected to this node (WebSockets and MJPEG responses). */
  get viewersHere(): number {
    return this.localViewers;
  }

  /** Everyone the room is held for on this node: members, listeners and viewer sinks. */
  get size(): number {
    return this.members.size + this.listeners.size + this.extraViewers.size;
  }

  /** The broadcaster's connection, when it is on this node. */
  get broadcaster(): Member | null {
    return this.broadcasterMember;
  }

  get isFull(): boolean {
    return this.opts.maxViewersPerRoom > 0 && this.viewers >= this.opts.maxViewersPerRoom;
  }

  get lastFrameAt(): number | null {
    return this.channels.get('source')?.lastFrameAt || null;
  }

  /** The tier's channel, made on first use; undefined for a quality the server does not offer. */
  channel(quality: string): FrameChannel | undefined {
    let channel = this.channels.get(quality);
    if (!channel && this.opts.qualities.includes(quality)) {
      channel = new FrameChannel(quality, this.opts.videoMaxBuffered, this.opts.telemetry);
      this.channels.set(quality, channel);
    }
    return channel;
  }

  /** Whether anyone in the cluster consumes a tier: only then is it worth encoding. */
  tierWanted(quality: string): boolean {
    return (this.channels.get(quality)?.size ?? 0) > 0 || this.remoteDemand.has(quality);
  }

  /** The recompressed tiers someone consumes anywhere in the cluster, widest first: the broadcaster's `demand`. */
  demandedTiers(): TierInfo[] {
    return (this.opts.tiers ?? []).filter((t) => this.tierWanted(t.name)).sort((a, b) => b.maxWidth - a.maxWidth);
  }

  /** The broadcaster here encodes this tier itself now (so the server must not). */
  tierFromEdge(quality: string): boolean {
    return this.edgeTiers?.isEdge(quality) ?? false;
  }

  /** Who encodes a tier someone consumes, while the broadcaster is here; null otherwise. */
  tierOrigin(quality: string): TierOrigin | null {
    if (!this.broadcasterMember || quality === 'source' || !this.tierWanted(quality)) return null;
    return this.edgeTiers?.origin(quality) ?? 'server';
  }

  edgeAnnounced(quality: string): boolean {
    return this.edgeTiers?.isAnnounced(quality) ?? false;
  }

  /** The broadcaster's `encoding`: the tiers it encodes from now on; the server takes the others. */
  announceEdgeTiers(tiers: readonly string[], now: number): void {
    const { toEdge, toServer } = (this.edgeTiers ??= new EdgeTiers()).announce(tiers, now);
    for (const tier of toEdge) for (const tap of this.taps) tap.onTierOrigin?.(this, tier, 'edge');
    for (const tier of toServer) for (const tap of this.taps) tap.onTierOrigin?.(this, tier, 'server');
  }

  /**
   * Accepts one tier frame the broadcaster encoded, of an announced tier (the session checked the
   * tag, the tier and its rate). Never decoded: its size is read from the JPEG's SOF. The one copy
   * strips metadata and gives it the plain 24-byte header, so it travels like a frame the server
   * made. `incoming` is only valid during this call.
   */
  acceptTierFrame(quality: string, incoming: Uint8Array, headerLen: number, now: number): 'ok' | 'size' | 'unsafe' {
    const edge = this.edgeTiers;
    const spec = this.opts.tiers?.find((t) => t.name === quality);
    if (!edge || !spec) return 'size';
    const size = readJpegSize(incoming, headerLen);
    // The source size is read every few frames; a camera that just changed shape gets a fresh read.
    if (!fitsTier(size, spec, this.sourceSize()) && !fitsTier(size, spec, this.sourceSize(true))) return 'size';
    const frame = copyWithoutMetadata(incoming, headerLen, FRAME_HEADER_BYTES);
    if (frame === null) return 'unsafe';
    frame[1] = 0;
    frame[2] = FRAME_HEADER_BYTES;
    frame[3] = 0;
    writeRelayedAt(frame, now);
    const seq = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).getUint32(4, true);
    const result = edge.edgeFrame(quality, seq, now)!;
    if (result.becameEdge) for (const tap of this.taps) tap.onTierOrigin?.(this, quality, 'edge');
    if (result.publish) {
      // The other nodes first, as for source frames.
      this.broker.publishFrame(this.name, quality, frame);
      this.channel(quality)?.publish(frame, now);
      this.opts.telemetry.tierFramePublished(quality, 'edge');
    }
    return 'ok';
  }

  /** Adds a viewer or broadcaster. A broadcaster replaces the current one, who is closed. */
  join(member: Member): void {
    this.lastActivity = Date.now();
    this.members.add(member);
    if (member.sender.role === 'broadcaster') {
      const old = this.broadcasterMember;
      this.broadcasterMember = member;
      // What the previous broadcaster encoded, this one has yet to announce.
      this.edgeTiers = null;
      // A new claim closes a broadcaster elsewhere in the cluster; the highest fence wins.
      this.broker.claim(this.name);
      if (old) {
        this.opts.log.info({ room: this.name, old: old.sender.id, new: member.sender.id }, 'broadcaster takeover');
        this.members.delete(old);
        old.onReplaced();
      } else if (this.remoteClaim) {
        this.opts.log.info({ room: this.name, node: this.remoteClaim.node, new: member.sender.id }, 'broadcaster takeover from another node');
        this.remoteClaim = null;
      } else {
        this.goLive(Date.now());
      }
      this.events?.liveChanged(this);
    } else {
      this.localViewers++;
      this.addToTier(member.quality, member.peer);
    }
    this.schedulePresence();
  }

  /**
   * Adds a viewer that is not a WebSocket member (an MJPEG response): it counts as a viewer and
   * gets the tier's frames, but no text messages. The caller checks `isFull` first.
   */
  addViewerSink(quality: string, sink: ViewerSink): void {
    if (this.extraViewers.has(sink) || !this.channel(quality)) return;
    this.lastActivity = Date.now();
    this.extraViewers.set(sink, quality);
    this.localViewers++;
    this.addToTier(quality, sink);
    this.schedulePresence();
  }

  removeViewerSink(sink: ViewerSink): void {
    const quality = this.extraViewers.get(sink);
    if (quality === undefined) return;
    this.lastActivity = Date.now();
    this.extraViewers.delete(sink);
    this.localViewers--;
    this.removeFromTier(quality, sink);
    this.schedulePresence();
    if (this.size === 0) this.events?.emptied(this);
  }

  leave(member: Member): void {
    if (!this.members.delete(member)) return;
    this.lastActivity = Date.now();
    if (member.sender.role === 'broadcaster') {
      if (this.broadcasterMember === member) {
        this.broadcasterMember = null;
        this.edgeTiers = null;
        this.broker.release(this.name);
        this.goOffline(Date.now());
        this.events?.liveChanged(this);
      }
    } else {
      this.localViewers--;
      this.removeFromTier(member.quality, member.peer);
    }
    this.schedulePresence();
    // Last: the registry may drop the room (dispose clears the presence timer just set).
    if (this.size === 0) this.events?.emptied(this);
  }

  /**
   * Adds a member that gets the room's events (chat, live, presence) but is not a viewer: it is
   * not counted, takes no frames and cannot chat through the room. Pusher subscribers of the
   * room's channel are listeners; they hold the room on this node like a viewer does.
   */
  listen(member: Member): void {
    this.lastActivity = Date.now();
    this.listeners.add(member);
  }

  unlisten(member: Member): void {
    if (!this.listeners.delete(member)) return;
    this.lastActivity = Date.now();
    if (this.size === 0) this.events?.emptied(this);
  }

  setQuality(member: Member, quality: string): void {
    if (member.quality === quality) return;
    if (member.sender.role === 'viewer' && this.members.has(member)) {
      this.removeFromTier(member.quality, member.peer);
      member.quality = quality;
      this.addToTier(quality, member.peer, true);
    } else {
      member.quality = quality;
    }
  }

  /**
   * Accepts one validated source frame. `incoming` is only valid during this call (uWS frees it
   * when the handler returns), so it is copied exactly once; the copy is fanned out and cached.
   * Returns false, having relayed nothing, when the JPEG cannot be stripped of metadata safely:
   * the caller refuses it (FRAME_UNSAFE).
   */
  acceptFrame(incoming: Uint8Array, headerLen: number, now: number): boolean {
    // The one copy also drops EXIF/XMP/comments, so no frame leaves the server with metadata.
    const frame = copyWithoutMetadata(incoming, headerLen);
    if (frame === null) return false;
    writeRelayedAt(frame, now);
    this.framesAccepted++;
    (this.fpsMeter ??= new FpsMeter()).tick(now);
    let replaced = false;
    for (const tap of this.taps) if (tap.replacesSource?.(this, frame, headerLen)) replaced = true;
    if (!replaced) {
      if ((this.framesAccepted & 15) === 1 || this.width === null) this.readSize(frame, headerLen);
      // The other nodes first: the frame leaves for the bus at once, so their fan-out runs
      // alongside this node's instead of after it (a cross-node viewer would otherwise wait
      // for every local send).
      this.broker.publishFrame(this.name, 'source', frame);
      const t0 = performance.now();
      this.channel('source')!.publish(frame, now);
      this.opts.telemetry.frameRelayed((performance.now() - t0) / 1000);
    }
    this.edgeTiers?.onSourceFrame(now);
    for (const tap of this.taps) tap.onSourceFrame(this, frame, headerLen);
    return true;
  }

  /** Delivers a frame of another tier (e.g. recompressed here); `frame` becomes that tier's cache. */
  publishTier(quality: string, frame: Uint8Array, now: number): void {
    // A replaced source (see FrameTap.replacesSource) defines the size viewers of `source` see.
    if (quality === 'source') this.readSize(frame, frame[2]! | (frame[3]! << 8));
    else {
      // After a switch from the edge, a picture it already sent does not go out twice.
      const seq = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).getUint32(4, true);
      if (this.edgeTiers && !this.edgeTiers.serverFrame(quality, seq)) return;
      this.opts.telemetry.tierFramePublished(quality, 'server');
    }
    // The other nodes first, as for source frames.
    if (this.broadcasterMember) this.broker.publishFrame(this.name, quality, frame);
    this.channel(quality)?.publish(frame, now);
  }

  /** A frame from the broadcaster's node, for a tier consumed here. */
  remoteFrame(quality: string, frame: Uint8Array, now: number): void {
    if (this.broadcasterMember) return;
    if (quality === 'source') {
      this.framesAccepted++;
      (this.fpsMeter ??= new FpsMeter()).tick(now);
      if ((this.framesAccepted & 15) === 1 || this.width === null) this.readSize(frame, frame[2]! | (frame[3]! << 8));
    }
    this.channel(quality)?.publish(frame, now);
  }

  /**
   * The newest frame of a tier of a room broadcast from another node (a snapshot): the one
   * here if it is current, else the cluster's copy if it is, else the next frame to arrive while
   * this asks for the tier as a consumer (null after `timeoutMs`: the broadcaster sends none).
   */
  async frameFromCluster(quality: string, timeoutMs: number): Promise<Uint8Array | null> {
    const channel = this.channel(quality);
    if (!channel) return null;
    const now = Date.now();
    if (channel.size > 0 && channel.lastFrame && now - channel.lastFrameAt < FRESH_MS) return channel.lastFrame;
    const cached = await this.broker.lastFrame(this.name, quality);
    if (cached && Date.now() - relayedAtOf(cached) < FRESH_MS) return cached;
    return new Promise((resolve) => {
      let done = false;
      const finish = (frame: Uint8Array | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.removeFromTier(quality, sink);
        resolve(frame ?? cached);
      };
      const sink: FrameSink = { bufferedAmount: () => 0, sendFrame: (f) => finish(f) };
      const timer = setTimeout(() => finish(null), timeoutMs);
      this.addToTier(quality, sink);
    });
  }

  /** The broadcaster is now on another node (claim), or nowhere (null). */
  remoteBroadcast(claim: BroadcastClaim | null): void {
    const local = this.broadcasterMember;
    if (claim && local) {
      // A newer claim elsewhere: ours was taken over.
      this.opts.log.info({ room: this.name, node: claim.node, old: local.sender.id }, 'broadcaster taken over from another node');
      this.broadcasterMember = null;
      this.edgeTiers = null;
      this.members.delete(local);
      local.onReplaced();
      this.remoteClaim = claim;
      this.liveSince = claim.since;
      this.events?.liveChanged(this);
      return;
    }
    if (local) return;
    const wasLive = this.remoteClaim !== null;
    this.remoteClaim = claim;
    if (claim && !wasLive) this.goLive(claim.since);
    else if (!claim && wasLive) this.goOffline(Date.now());
    this.schedulePresence();
  }

  /** Viewers on the other nodes changed. */
  setRemoteViewers(viewers: number): void {
    this.remoteViewers = viewers;
    this.schedulePresence();
  }

  /** Tiers consumed on other nodes changed (this node broadcasts the room). */
  setRemoteDemand(tiers: ReadonlySet<string>): void {
    const before = this.remoteDemand;
    this.remoteDemand = tiers;
    for (const tier of tiers) if (!before.has(tier)) for (const tap of this.taps) tap.onTierDemand?.(this, tier);
    this.broadcasterMember?.onDemandChanged?.();
  }

  /**
   * Posts a chat message: it has its id, and is stored, once this resolves (BusUnavailableError
   * otherwise). `from` is a member's sender, or a `server` sender for a message a backend posted.
   */
  postChat(from: Sender, text: string, ref: string | undefined): Promise<ChatMessage> {
    this.lastActivity = Date.now();
    const draft: Omit<ChatMessage, 'id'> = { type: 'chat', at: Date.now(), from, text };
    if (ref !== undefined) draft.ref = ref;
    return this.chat.post(draft);
  }

  summary(now = Date.now()): RoomSummary {
    return {
      name: this.name,
      live: this.live,
      liveSince: this.liveSince,
      offlineSince: this.offlineSince,
      viewers: this.viewers,
      lastFrameAt: this.lastFrameAt,
      width: this.width,
      height: this.height,
      fps: this.live && this.fpsMeter ? this.fpsMeter.fps(now) : 0,
      chatMessages: this.chat.latestId,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endViewerSinks();
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
    for (const ch of this.channels.values()) ch.clear();
    this.chat.dispose();
    if (this.broadcasterMember) this.broker.release(this.name);
    if (this.presenceSent.local > 0) this.broker.reportViewers(this.name, 0);
    this.broker.unwatch(this.name);
    for (const tap of this.taps) tap.onRoomDisposed?.(this);
  }

  /** Sends an event to everyone here, serialised once per protocol. Chat must never vanish silently. */
  emit(event: RoomEvent): void {
    let encoder: EventEncoder | null = null;
    let text: string | null = null;
    let others: Map<EventEncoder, string | null> | null = null;
    for (const group of [this.members, this.listeners]) {
      for (const m of group) {
        if (m.encoder !== encoder) {
          if (encoder) (others ??= new Map()).set(encoder, text);
          encoder = m.encoder;
          text = others?.has(encoder) ? others.get(encoder)! : encoder.encode(event);
        }
        if (text !== null && m.peer.sendText(text) === 'dropped') m.onSendDropped();
      }
    }
  }

  private goLive(since: number): void {
    this.liveSince = since;
    this.offlineSince = null;
    if (!this.everLive) {
      this.everLive = true;
      this.chat.setCapacity(this.opts.chatHistory);
      this.events?.wentPublic(this);
    }
    this.emit({ type: 'live', live: true, since, lastFrameAt: this.lastFrameAt });
  }

  private goOffline(now: number): void {
    this.liveSince = null;
    this.offlineSince = now;
    this.emit({ type: 'live', live: false, since: now, lastFrameAt: this.lastFrameAt });
    this.endViewerSinks();
  }

  private endViewerSinks(): void {
    for (const sink of [...this.extraViewers.keys()]) {
      this.removeViewerSink(sink);
      sink.onOffline();
    }
  }

  /** The source picture's size as last read; `fresh`: read from the newest source frame now. */
  private sourceSize(fresh = false): ImageSize | null {
    const last = this.channels.get('source')?.lastFrame;
    if (fresh && last) this.readSize(last, last[2]! | (last[3]! << 8));
    return this.width !== null && this.height !== null ? { width: this.width, height: this.height } : null;
  }

  private readSize(frame: Uint8Array, headerLen: number): void {
    const size = readJpegSize(frame, headerLen);
    if (size) {
      this.width = size.width;
      this.height = size.height;
    }
  }

  private addToTier(quality: string, sink: FrameSink, switching = false): void {
    const channel = this.channel(quality);
    if (!channel) return;
    channel.add(sink, switching);
    if (channel.size === 1) {
      this.broker.consume(this.name, quality, true);
      this.broadcasterMember?.onDemandChanged?.();
      // A late joiner on a node that has no frame of this tier yet: the cluster's last one.
      if (!channel.lastFrame && !this.broadcasterMember && this.broker.clustered) void this.fetchLastFrame(quality, channel);
    }
    for (const tap of this.taps) tap.onTierDemand?.(this, quality);
  }

  private removeFromTier(quality: string, sink: FrameSink): void {
    const channel = this.channels.get(quality);
    if (!channel) return;
    channel.delete(sink);
    if (channel.size > 0) return;
    this.broker.consume(this.name, quality, false);
    this.broadcasterMember?.onDemandChanged?.();
    // Frames stop coming from the other nodes: let no later joiner start on a stale picture.
    if (!this.broadcasterMember && this.broker.clustered) channel.clear();
  }

  private async fetchLastFrame(quality: string, channel: FrameChannel): Promise<void> {
    const frame = await this.broker.lastFrame(this.name, quality);
    if (frame && !channel.lastFrame && !this.disposed) this.remoteFrame(quality, frame, Date.now());
  }

  // Joins and leaves are coalesced: hundreds of joins in a burst cost one presence message, and
  // one report of this node's count to the broker.
  private schedulePresence(): void {
    if (this.presenceTimer || this.disposed) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      const { viewers, live, localViewers } = this;
      if (localViewers !== this.presenceSent.local) this.broker.reportViewers(this.name, localViewers);
      const changed = viewers !== this.presenceSent.viewers || live !== this.presenceSent.live;
      this.presenceSent = { viewers, live, local: localViewers };
      if (changed) this.emit({ type: 'presence', viewers, live });
    }, this.opts.presenceIntervalMs);
    this.presenceTimer.unref();
  }
}
