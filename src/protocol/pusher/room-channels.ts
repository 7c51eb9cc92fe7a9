// beamcast rooms as Pusher channels (docs/pusher.md#rooms-are-channels):
//   room.{room}           public: the room's chat, live state and viewer count as events;
//   presence-room.{room}  presence: who follows the room, signed by POST /pusher/auth.
// Both prefixes are reserved in every app: a name after them must be a valid room name.

import { isValidRoomName } from '../room-name.js';

export const ROOM_CHANNEL_PREFIX = 'room.';
export const ROOM_PRESENCE_CHANNEL_PREFIX = 'presence-room.';

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
} as const;

export type RoomChannel = { room: string; presence: boolean; valid: boolean };

/** The room a channel belongs to (`valid`: the rest of the name is a room name), or null for other channels. */
export function roomOfChannel(channel: string): RoomChannel | null {
  for (const [prefix, presence] of [[ROOM_CHANNEL_PREFIX, false], [ROOM_PRESENCE_CHANNEL_PREFIX, true]] as const) {
    if (channel.startsWith(prefix)) {
      const room = channel.slice(prefix.length);
      return { room, presence, valid: isValidRoomName(room) };
    }
  }
  return null;
}
