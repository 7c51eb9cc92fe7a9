import type { ChatMessage, RoomSettings, RoomSummary, Sender } from '../protocol/index.js';
import type { AudienceRoster } from './audience/audience-roster.js';
import { MemoryAudienceRoster } from './audience/memory-audience-roster.js';
import { DEFAULT_AUDIENCE_OPTIONS, RoomAudience, type AudienceConnection } from './audience/room-audience.js';
import type { BroadcastClaim, Broker, ChatDraft, ChatPage } from './broker/broker.js';
import type { RoomRecord } from './broker/room-state.js';
import type { ModerationOrder } from './moderation/moderate-request.js';
import { performModeration, type ModerationResult } from './moderation/moderation-actions.js';
import { RoomModeration } from './moderation/room-moderation.js';
import { RoomChat } from './room-chat.js';
import type { EventEncoder, RoomEvent } from './room-events.js';
import { RoomFrames } from './room-frames.js';
import type { RoomOptions } from './room-options.js';
import { RoomSettingsHolder } from './room-settings-holder.js';
import type { FrameTap, Member, RoomEvents, ViewerSink } from './room-types.js';

export type { FrameTap, Member, RoomEvents, ViewerSink } from './room-types.js';

// Chat messages a room that has never been live keeps: anyone can make such a room up, so its
// memory stays small until a broadcaster (who holds a key) has been live in it.
export const WAITING_ROOM_CHAT = 50;

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
  /** Who is in the room, its viewer list and join and leave notices. */
  readonly audience: RoomAudience;
  /** Mutes, bans, kicks and slow mode. */
  readonly moderation: RoomModeration;
  /** Its tiers, frames and who encodes them. */
  readonly frames: RoomFrames;
  private readonly members = new Set<Member>();
  /** Members that follow the room's events without watching (see `listen`). */
  private readonly listeners = new Set<Member>();
  /** Viewers that are not connections with a session, e.g. MJPEG responses: quality per sink. */
  private readonly extraViewers = new Map<ViewerSink, string>();
  private everLive = false;
  private broadcasterMember: Member | null = null;
  /** The broadcaster is on another node. */
  private remoteClaim: BroadcastClaim | null = null;
  private localViewers = 0;
  private remoteViewers = 0;
  private presenceTimer: NodeJS.Timeout | null = null;
  private presenceSent = { viewers: -1, live: false, local: -1 };
  private disposed = false;
  private readonly synced: Promise<void>;
  private readonly isSynced: () => boolean;
  private readonly settingsHolder: RoomSettingsHolder;
  liveSince: number | null = null;
  offlineSince: number | null = null;
  lastActivity = Date.now();

  constructor(
    readonly name: string,
    private readonly opts: RoomOptions,
    private readonly broker: Broker,
    private readonly taps: readonly FrameTap[] = [],
    private readonly events: RoomEvents | null = null,
    roster: AudienceRoster = new MemoryAudienceRoster(),
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
    this.settingsHolder = new RoomSettingsHolder(name, broker.roomState, (isPrivate) => this.onPrivacyChanged(isPrivate), watching ?? null, (seconds) =>
      this.emit({ type: 'slowmode', seconds }),
    );
    this.moderation = new RoomModeration(name, broker.roomState, () => this.members, opts.log, watching ?? null);
    this.frames = new RoomFrames(this, opts, broker, taps);
    this.audience = new RoomAudience(this, roster, { ...DEFAULT_AUDIENCE_OPTIONS, ...opts.audience }, opts.log);
  }

  /** Posts one of the room's own messages (a notice) to its chat. */
  postNotice(draft: ChatDraft): Promise<ChatMessage> {
    return this.chat.post(draft);
  }

  /** The room's chat, settings and state on the other nodes are known here: joins can be answered. */
  get isReady(): boolean {
    return this.chat.isReady && this.isSynced() && this.settingsHolder.isRead && this.moderation.isRead;
  }

  async whenReady(): Promise<void> {
    await Promise.all([this.synced, this.chat.whenReady(), this.settingsHolder.loaded, this.moderation.loaded]);
  }

  /** A record of the room's shared state other than its settings changed (moderation). */
  onRecord(key: string, record: RoomRecord | null): void {
    this.moderation.onRecord(key, record);
  }

  /** Carries out a moderator's action (the caller checked the grant). */
  moderate(order: ModerationOrder): Promise<ModerationResult> {
    this.lastActivity = Date.now();
    return performModeration(
      {
        room: this.name,
        broker: this.broker,
        chat: this.chat,
        isBroadcaster: (id) => this.broadcasterMember?.sender.id === id || this.audience.roleOf(id) === 'broadcaster',
        applySettings: (settings) => this.applySettings(settings),
        log: this.opts.log,
      },
      order,
    );
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
    for (const m of [...this.members, ...this.listeners]) m.onAccessChanged?.(isPrivate);
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

  get lastFrameAt(): number | null {
    return this.frames.lastFrameAt;
  }

  get isFull(): boolean {
    return this.opts.maxViewersPerRoom > 0 && this.viewers >= this.opts.maxViewersPerRoom;
  }

  /** Adds a viewer or broadcaster. A broadcaster replaces the current one, who is closed. */
  join(member: Member): void {
    this.lastActivity = Date.now();
    this.members.add(member);
    if (member.sender.role === 'broadcaster') {
      const old = this.broadcasterMember;
      this.broadcasterMember = member;
      // What the previous broadcaster encoded, this one has yet to announce.
      this.frames.forgetEdgeTiers();
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
      this.frames.addSink(member.quality, member.peer);
    }
    if (member.audienceRole) this.audience.add(member as AudienceConnection);
    this.schedulePresence();
  }

  /**
   * Adds a viewer that is not a WebSocket member (an MJPEG response): it counts as a viewer and
   * gets the tier's frames, but no text messages. The caller checks `isFull` first.
   */
  addViewerSink(quality: string, sink: ViewerSink): void {
    if (this.extraViewers.has(sink) || !this.frames.channel(quality)) return;
    this.lastActivity = Date.now();
    this.extraViewers.set(sink, quality);
    this.localViewers++;
    this.frames.addSink(quality, sink);
    this.schedulePresence();
  }

  removeViewerSink(sink: ViewerSink): void {
    const quality = this.extraViewers.get(sink);
    if (quality === undefined) return;
    this.lastActivity = Date.now();
    this.extraViewers.delete(sink);
    this.localViewers--;
    this.frames.removeSink(quality, sink);
    this.schedulePresence();
    if (this.size === 0) this.events?.emptied(this);
  }

  leave(member: Member): void {
    if (!this.members.delete(member)) return;
    this.lastActivity = Date.now();
    this.audience.remove(member as AudienceConnection);
    if (member.sender.role === 'broadcaster') {
      if (this.broadcasterMember === member) {
        this.broadcasterMember = null;
        this.frames.forgetEdgeTiers();
        this.broker.release(this.name);
        this.goOffline(Date.now());
        this.events?.liveChanged(this);
      }
    } else {
      this.localViewers--;
      this.frames.removeSink(member.quality, member.peer);
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
      this.frames.removeSink(member.quality, member.peer);
      member.quality = quality;
      this.frames.addSink(quality, member.peer, true);
    } else {
      member.quality = quality;
    }
  }

  /** The broadcaster is now on another node (claim), or nowhere (null). */
  remoteBroadcast(claim: BroadcastClaim | null): void {
    const local = this.broadcasterMember;
    if (claim && local) {
      // A newer claim elsewhere: ours was taken over.
      this.opts.log.info({ room: this.name, node: claim.node, old: local.sender.id }, 'broadcaster taken over from another node');
      this.broadcasterMember = null;
      this.frames.forgetEdgeTiers();
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

  /**
   * Posts a chat message: it has its id, and is stored, once this resolves (BusUnavailableError
   * otherwise). `from` is a member's sender, or a `server` sender for a message a backend posted.
   */
  postChat(from: Sender, text: string, ref: string | undefined): Promise<ChatMessage> {
    this.lastActivity = Date.now();
    this.audience.beforeSaid(from.id);
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
      width: this.frames.width,
      height: this.frames.height,
      fps: this.live ? this.frames.fps(now) : 0,
      chatMessages: this.chat.latestId,
    };
  }

  /** `shuttingDown`: people who just left leave the viewer list now rather than after their grace. */
  dispose(shuttingDown = false): void {
    if (this.disposed) return;
    this.disposed = true;
    this.audience.dispose(shuttingDown);
    this.moderation.dispose();
    this.endViewerSinks();
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
    this.frames.dispose();
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
      if (changed) {
        this.emit({ type: 'presence', viewers, live });
        this.audience.schedule();
      }
    }, this.opts.presenceIntervalMs);
    this.presenceTimer.unref();
  }
}
