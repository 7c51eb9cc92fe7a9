// beamcast rooms as Pusher channels (docs/pusher.md#rooms-are-channels):
//   room.{room}           public: the room's chat, live state and viewer count as events;
//   private-room.{room}   private: the same events, signed by POST /pusher/auth for those who may
//                         watch the room (a private room: a viewer token that grants watch);
//   presence-room.{room}  presence: who is in the room (native viewers too), signed the same way.
// The prefixes are reserved in every app: a name after them must be a valid room name.

import { isValidRoomName } from '../room-name.js';

export const ROOM_CHANNEL_PREFIX = 'room.';
export const ROOM_PRESENCE_CHANNEL_PREFIX = 'presence-room.';
export const ROOM_PRIVATE_CHANNEL_PREFIX = 'private-room.';

/** The events a room channel carries, and the one a backend triggers to post into the room's chat. */
export const RoomChannelEvents = {
  /** Right after subscription_succeeded: {live, liveSince, viewers, chatEpoch, latestId}. */
  state: 'state',
  /** A chat message: {id, at, text, from: {id, name, color, role}}. Also what the HTTP API triggers: {text, name?}. */
  chat: 'chat',
  /** The broadcaster went live or offline: {live, since, lastFrameAt}. */
  live: 'live',
  /** Coalesced viewer count (native viewers of the whole cluster): {viewers, live}. */
  viewers: 'viewers',
  /** The chat log started afresh: {chatEpoch, latestId}; earlier ids mean nothing. */
  chatReset: 'chat-reset',
  /** On room.{room}: the room turned private, and this channel carries its events no more ({}). */
  private: 'private',
} as const;

export type RoomChannelKind = 'public' | 'private' | 'presence';
export type RoomChannel = { room: string; kind: RoomChannelKind; presence: boolean; valid: boolean };

const PREFIXES: readonly (readonly [string, RoomChannelKind])[] = [
  [ROOM_CHANNEL_PREFIX, 'public'],
  [ROOM_PRIVATE_CHANNEL_PREFIX, 'private'],
  [ROOM_PRESENCE_CHANNEL_PREFIX, 'presence'],
];

/** The room a channel belongs to (`valid`: the rest of the name is a room name), or null for other channels. */
export function roomOfChannel(channel: string): RoomChannel | null {
  for (const [prefix, kind] of PREFIXES) {
    if (channel.startsWith(prefix)) {
      const room = channel.slice(prefix.length);
      return { room, kind, presence: kind === 'presence', valid: isValidRoomName(room) };
    }
  }
  return null;
}
