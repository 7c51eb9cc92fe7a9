import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import { classifyChannel, type ChannelKind } from '../../protocol/pusher/channel-name.js';
import type { PusherSubscriptionErrorName } from '../../protocol/pusher/codes.js';
import { parseChannelData } from '../../protocol/pusher/presence-member.js';
import { roomOfChannel } from '../../protocol/pusher/room-channels.js';
import { verifyChannelAuth } from './signing/channel-auth.js';

export interface SubscribeAsk {
  channel: string;
  auth: string | null;
  channelData: string | null;
}

export type SubscriptionPlan =
  | {
      ok: true;
      kind: ChannelKind;
      cache: boolean;
      /** Presence channels: the member this connection joins as (info as JSON). */
      presence?: { userId: string; info: string };
      /** room.{room}: the room this connection follows. */
      room?: string;
    }
  | { ok: false; error: PusherSubscriptionErrorName };

/**
 * Whether a connection may subscribe to a channel, before anything is shared: the name's rules,
 * the signature of private, encrypted and presence channels (over the exact channel_data sent),
 * presence member data and its size, and #server-to-user- channels only for the signed-in user.
 */
export function checkSubscription(app: PusherApp, socketId: string, signedInAs: string | null, ask: SubscribeAsk): SubscriptionPlan {
  const { channel } = ask;
  const cls = classifyChannel(channel);
  if (!cls.ok) return { ok: false, error: 'BAD_CHANNEL_NAME' };
  if (cls.kind === 'server-to-user') {
    return cls.userId === signedInAs ? { ok: true, kind: cls.kind, cache: false } : { ok: false, error: 'USER_CHANNEL_FORBIDDEN' };
  }
  const room = roomOfChannel(channel);
  if (room && !room.valid) return { ok: false, error: 'BAD_ROOM_CHANNEL' };
  if (cls.kind === 'public') return room ? { ok: true, kind: cls.kind, cache: cls.cache, room: room.room } : { ok: true, kind: cls.kind, cache: cls.cache };
  if (cls.kind !== 'presence') {
    return verifyChannelAuth(app, ask.auth, socketId, channel) ? { ok: true, kind: cls.kind, cache: cls.cache } : { ok: false, error: 'AUTH_FAILED' };
  }
  // The signature covers channel_data: checked first, so unsigned data is never even parsed.
  if (ask.channelData === null || !verifyChannelAuth(app, ask.auth, socketId, channel, ask.channelData)) return { ok: false, error: 'AUTH_FAILED' };
  const member = parseChannelData(ask.channelData);
  if (!member) return { ok: false, error: 'BAD_CHANNEL_DATA' };
  if (member.userInfoBytes > app.maxPresenceMemberBytes) return { ok: false, error: 'MEMBER_TOO_LARGE' };
  return { ok: true, kind: cls.kind, cache: cls.cache, presence: { userId: member.userId, info: JSON.stringify(member.userInfo ?? null) } };
}
