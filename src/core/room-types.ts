import type { AudienceRole, Sender } from '../protocol/index.js';
import type { ModeratedMember } from './moderation/room-moderation.js';
import type { FrameSink, Peer } from './peer.js';
import type { Room } from './room.js';
import type { EventEncoder } from './room-events.js';
import type { TierOrigin } from './telemetry.js';

/** A connection inside a room, as rooms see it. */
export interface Member extends ModeratedMember {
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
  /** One of the room's people (on its viewer list), as this role; absent for followers of its events. */
  readonly audienceRole?: AudienceRole;
  /** The broadcaster: the tiers someone consumes may have changed (see `RoomFrames.demandedTiers`). */
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

/** A viewer without a session (an MJPEG response): frames only, ended when the room goes offline. */
export interface ViewerSink extends FrameSink {
  /** The broadcaster left or the room is being dropped; the sink should end and remove itself. */
  onOffline(): void;
  /** Came with a token that grants `watch`: stays when the room turns private. */
  readonly canWatchPrivate?: boolean;
}
