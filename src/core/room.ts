import { randomBytes } from 'node:crypto';
import {
  CloseCodes,
  readJpegSize,
  writeRelayedAt,
  type ChatMessage,
  type LiveMessage,
  type PresenceMessage,
  type RoomSummary,
  type Sender,
} from '../protocol/index.js';
import { ChatLog } from './chat-log.js';
import { FpsMeter } from './fps-meter.js';
import { FrameChannel } from './frame-channel.js';
import type { FrameSink, Peer } from './peer.js';
import type { RoomOptions } from './room-options.js';
import { copyWithoutMetadata } from './strip-jpeg-metadata.js';

/** A connection inside a room, as rooms see it. */
export interface Member {
  readonly peer: Peer;
  readonly sender: Sender;
  quality: string;
  /** Called when a text send to this member was dropped; the member must reconnect and recover. */
  onSendDropped(): void;
}

/** Notified of every accepted source frame, e.g. to recompress it into other tiers. */
export interface FrameTap {
  onSourceFrame(room: Room, frame: Uint8Array, headerLen: number): void;
  /**
   * Asked before an accepted frame is published to `source`. Returning true means the tap
   * publishes the source tier itself (e.g. downscaled) with `publishTier('source', ...)`.
   */
  replacesSource?(room: Room, frame: Uint8Array, headerLen: number): boolean;
  /** A consumer was added to a tier, so the tap can produce a frame for it now if it has none. */
  onTierDemand?(room: Room, quality: string): void;
}

/** What a room tells its registry about itself. */
export interface RoomEvents {
  /** A broadcaster went live in the room for the first time: from now on the room is public. */
  wentPublic(room: Room): void;
  /** The last member or viewer sink left the room. */
  emptied(room: Room): void;
}

// Chat messages a room that has never been live keeps: anyone can make such a room up, so its
// memory stays small until a broadcaster (who holds a key) has been live in it.
export const WAITING_ROOM_CHAT = 50;

/** A viewer without a session (an MJPEG response): frames only, ended when the room goes offline. */
export interface ViewerSink extends FrameSink {
  /** The broadcaster left or the room is being dropped; the sink should end and remove itself. */
  onOffline(): void;
}

/**
 * One room. A room nobody has been live in yet ("waiting") costs little: its tiers and frame
 * meter are made when first needed, and its chat keeps WAITING_ROOM_CHAT messages until it
 * first goes live.
 */
export class Room {
  readonly chatEpoch = randomBytes(6).toString('hex');
  readonly chat: ChatLog;
  /** Tiers made so far (see `channel`). */
  readonly channels = new Map<string, FrameChannel>();
  private readonly members = new Set<Member>();
  /** Viewers that are not connections with a session, e.g. MJPEG responses: quality per sink. */
  private readonly extraViewers = new Map<ViewerSink, string>();
  private fpsMeter: FpsMeter | null = null;
  private everLive = false;
  private broadcasterMember: Member | null = null;
  private viewerCount = 0;
  private presenceTimer: NodeJS.Timeout | null = null;
  private presenceSent = { viewers: -1, live: false };
  liveSince: number | null = null;
  offlineSince: number | null = null;
  lastActivity = Date.now();
  width: number | null = null;
  height: number | null = null;
  framesAccepted = 0;

  constructor(
    readonly name: string,
    private readonly opts: RoomOptions,
    private readonly taps: readonly FrameTap[] = [],
    private readonly events: RoomEvents | null = null,
  ) {
    this.chat = new ChatLog(Math.min(opts.chatHistory, WAITING_ROOM_CHAT));
  }

  get live(): boolean {
    return this.broadcasterMember !== null;
  }

  /** A broadcaster has been live here: the room is listed, and outlives its members by ROOM_TTL. */
  get public(): boolean {
    return this.everLive;
  }

  get viewers(): number {
    return this.viewerCount;
  }

  get size(): number {
    return this.members.size + this.extraViewers.size;
  }

  get broadcaster(): Member | null {
    return this.broadcasterMember;
  }

  get isFull(): boolean {
    return this.opts.maxViewersPerRoom > 0 && this.viewerCount >= this.opts.maxViewersPerRoom;
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

  /** Adds a viewer or broadcaster. A broadcaster replaces the current one, who is closed. */
  join(member: Member): void {
    this.lastActivity = Date.now();
    this.members.add(member);
    if (member.sender.role === 'broadcaster') {
      const old = this.broadcasterMember;
      this.broadcasterMember = member;
      if (old) {
        this.opts.log.info({ room: this.name, old: old.sender.id, new: member.sender.id }, 'broadcaster takeover');
        this.members.delete(old);
        old.peer.close(CloseCodes.REPLACED.code, CloseCodes.REPLACED.reason);
      } else {
        this.liveSince = Date.now();
        this.offlineSince = null;
        if (!this.everLive) {
          this.everLive = true;
          this.chat.setCapacity(this.opts.chatHistory);
          this.events?.wentPublic(this);
        }
        this.broadcastLive();
      }
    } else {
      this.viewerCount++;
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
    this.viewerCount++;
    this.addToTier(quality, sink);
    this.schedulePresence();
  }

  removeViewerSink(sink: ViewerSink): void {
    const quality = this.extraViewers.get(sink);
    if (quality === undefined) return;
    this.lastActivity = Date.now();
    this.extraViewers.delete(sink);
    this.viewerCount--;
    this.channels.get(quality)?.delete(sink);
    this.schedulePresence();
    if (this.size === 0) this.events?.emptied(this);
  }

  leave(member: Member): void {
    if (!this.members.delete(member)) return;
    this.lastActivity = Date.now();
    if (member.sender.role === 'broadcaster') {
      if (this.broadcasterMember === member) {
        this.broadcasterMember = null;
        this.liveSince = null;
        this.offlineSince = Date.now();
        this.broadcastLive();
        this.endViewerSinks();
      }
    } else {
      this.viewerCount--;
      this.channels.get(member.quality)?.delete(member.peer);
    }
    this.schedulePresence();
    // Last: the registry may drop the room (dispose clears the presence timer just set).
    if (this.size === 0) this.events?.emptied(this);
  }

  setQuality(member: Member, quality: string): void {
    if (member.quality === quality) return;
    if (member.sender.role === 'viewer' && this.members.has(member)) {
      this.channels.get(member.quality)?.delete(member.peer);
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
      const t0 = performance.now();
      this.channel('source')!.publish(frame, now);
      this.opts.telemetry.frameRelayed((performance.now() - t0) / 1000);
    }
    for (const tap of this.taps) tap.onSourceFrame(this, frame, headerLen);
    return true;
  }

  /** Delivers a frame of another tier (e.g. recompressed); `frame` becomes that tier's cache. */
  publishTier(quality: string, frame: Uint8Array, now: number): void {
    // A replaced source (see FrameTap.replacesSource) defines the size viewers of `source` see.
    if (quality === 'source') this.readSize(frame, frame[2]! | (frame[3]! << 8));
    this.channel(quality)?.publish(frame, now);
  }

  private endViewerSinks(): void {
    for (const sink of [...this.extraViewers.keys()]) {
      this.removeViewerSink(sink);
      sink.onOffline();
    }
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
    for (const tap of this.taps) tap.onTierDemand?.(this, quality);
  }

  postChat(from: Sender, text: string, ref: string | undefined): ChatMessage {
    this.lastActivity = Date.now();
    const msg = this.chat.append((id) => {
      const m: ChatMessage = { type: 'chat', id, at: Date.now(), from, text };
      if (ref !== undefined) m.ref = ref;
      return m;
    });
    this.broadcastText(JSON.stringify(msg));
    return msg;
  }

  summary(now = Date.now()): RoomSummary {
    return {
      name: this.name,
      live: this.live,
      liveSince: this.liveSince,
      offlineSince: this.offlineSince,
      viewers: this.viewerCount,
      lastFrameAt: this.lastFrameAt,
      width: this.width,
      height: this.height,
      fps: this.live && this.fpsMeter ? this.fpsMeter.fps(now) : 0,
      chatMessages: this.chat.latestId,
    };
  }

  /** Sends one serialized message to everyone in the room. Chat must never vanish silently. */
  broadcastText(json: string): void {
    for (const m of this.members) {
      if (m.peer.sendText(json) === 'dropped') m.onSendDropped();
    }
  }

  dispose(): void {
    this.endViewerSinks();
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
    for (const ch of this.channels.values()) ch.clear();
  }

  private broadcastLive(): void {
    const msg: LiveMessage = {
      type: 'live',
      live: this.live,
      since: (this.live ? this.liveSince : this.offlineSince) ?? Date.now(),
      lastFrameAt: this.lastFrameAt,
    };
    this.broadcastText(JSON.stringify(msg));
  }

  // Joins and leaves are coalesced: hundreds of joins in a burst cost one presence message.
  private schedulePresence(): void {
    if (this.presenceTimer) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      const { viewers, live } = this;
      if (viewers === this.presenceSent.viewers && live === this.presenceSent.live) return;
      this.presenceSent = { viewers, live };
      const msg: PresenceMessage = { type: 'presence', viewers, live };
      this.broadcastText(JSON.stringify(msg));
    }, this.opts.presenceIntervalMs);
    this.presenceTimer.unref();
  }
}
