import type { Peer } from '../../../core/peer.js';
import type { FollowAccess, FollowCredentials } from '../../../core/room-access.js';
import type { EventEncoder } from '../../../core/room-events.js';
import type { RoomRegistry } from '../../../core/room-registry.js';
import type { Member, Room } from '../../../core/room.js';
import type { PusherSubscriptionErrorName } from '../../../protocol/pusher/codes.js';
import { roomChannelEncoder, roomStateEvent } from './room-channel-encoder.js';

/** A connection following a room: its socket, and what to do when it falls behind. */
export interface Follower {
  readonly socketId: string;
  readonly peer: Peer;
  onSendDropped(): void;
}

export type OpenedRoom = { ok: true; room: Room } | { ok: false; error: PusherSubscriptionErrorName };

interface SharedEncoder {
  encoder: EventEncoder;
  users: number;
}

/**
 * Pusher connections following rooms (channel room.{room}). A follower is a listener member of
 * the Room: it gets the room's events through the room's Pusher encoder and holds the room on
 * this node like a viewer does (the broadcaster may be on another node), but it is not counted
 * as a viewer and gets no frames.
 */
export class RoomFollowers {
  private readonly encoders = new Map<string, SharedEncoder>();

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly access: FollowAccess,
  ) {}

  /** The room, held and ready here, or why it cannot be followed. */
  async open(name: string, credentials: FollowCredentials): Promise<OpenedRoom> {
    if ((await this.access.canFollow(name, credentials)) !== 'allowed') return { ok: false, error: 'ROOM_FORBIDDEN' };
    // Anyone can make a room name up: rooms nobody has been live in are bounded, as for viewers.
    if (!this.rooms.canHost(name)) return { ok: false, error: 'ROOM_UNAVAILABLE' };
    const room = this.rooms.getOrCreate(name);
    await room.whenReady();
    return { ok: true, room };
  }

  /**
   * Starts following, right after the subscription is confirmed: the follower gets the room's
   * state at once and every room event from now on. Returns the function that stops it.
   */
  follow(opened: Room, channel: string, f: Follower): () => void {
    // The room opened earlier, unless it was dropped meanwhile (its last viewer left): then anew.
    const room = this.rooms.get(opened.name) ?? this.rooms.getOrCreate(opened.name);
    let shared = this.encoders.get(channel);
    if (!shared) this.encoders.set(channel, (shared = { encoder: roomChannelEncoder(channel), users: 0 }));
    shared.users++;
    const member: Member = {
      peer: f.peer,
      sender: { id: f.socketId, name: '', color: '', role: 'viewer' },
      encoder: shared.encoder,
      quality: '',
      onSendDropped: () => f.onSendDropped(),
      onReplaced: () => {},
    };
    if (f.peer.sendText(roomStateEvent(channel, room)) === 'dropped') f.onSendDropped();
    room.listen(member);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      room.unlisten(member);
      if (--shared.users === 0) this.encoders.delete(channel);
    };
  }
}
