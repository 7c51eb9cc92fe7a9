import type { ChannelEvent, ChannelEventEncoder } from '../../core/channels/channel-events.js';
import { cacheMiss, channelEvent, memberAdded, memberRemoved } from '../../protocol/pusher/server-messages.js';

/** Channel events as Pusher protocol 7 messages: the hub encodes each event once per node with it. */
export const pusherEventEncoder: ChannelEventEncoder = {
  encode(e: ChannelEvent): string {
    switch (e.type) {
      case 'event':
        return channelEvent(e.channel, e.event, e.data, e.userId);
      case 'member_added':
        return memberAdded(e.channel, e.userId, e.userInfo);
      case 'member_removed':
        return memberRemoved(e.channel, e.userId);
      case 'cache_miss':
        return cacheMiss(e.channel);
    }
  },
};
