import type { EventEncoder, RoomEvent } from '../../../core/room-events.js';
import type { Room } from '../../../core/room.js';
import type { ChatMessage } from '../../../protocol/index.js';
import { RoomChannelEvents } from '../../../protocol/pusher/room-channels.js';
import { channelEvent } from '../../../protocol/pusher/server-messages.js';

/** A chat message as the room channel's `chat` event carries it. */
export function chatEventData(msg: ChatMessage): { id: number; at: number; text: string; from: ChatMessage['from'] } {
  return { id: msg.id, at: msg.at, text: msg.text, from: msg.from };
}

/**
 * A room's events as Pusher events on its channel (room.{room}). One encoder per room, shared by
 * every follower of the room on this node, so the room serialises each event once for all of them.
 */
export function roomChannelEncoder(channel: string): EventEncoder {
  const ev = (name: string, data: unknown): string => channelEvent(channel, name, JSON.stringify(data));
  return {
    encode(e: RoomEvent): string | null {
      switch (e.type) {
        case 'chat':
          return ev(RoomChannelEvents.chat, chatEventData(e.msg));
        case 'live':
          return ev(RoomChannelEvents.live, { live: e.live, since: e.since, lastFrameAt: e.lastFrameAt });
        case 'presence':
          return ev(RoomChannelEvents.viewers, { viewers: e.viewers, live: e.live });
        case 'chat-reset':
          return ev(RoomChannelEvents.chatReset, { chatEpoch: e.epoch, latestId: e.latestId });
      }
    },
  };
}

/** The `state` event a new follower gets right after subscription_succeeded. */
export function roomStateEvent(channel: string, room: Room): string {
  return channelEvent(
    channel,
    RoomChannelEvents.state,
    JSON.stringify({ live: room.live, liveSince: room.liveSince, viewers: room.viewers, chatEpoch: room.chat.epoch, latestId: room.chat.latestId }),
  );
}
