import type { PusherApp } from '../../../config/pusher-apps/pusher-app.js';
import type { ChannelHub } from '../../../core/channels/channel-hub.js';
import type { Room } from '../../../core/room.js';
import { classifyChannel } from '../../../protocol/pusher/channel-name.js';
import { isTriggerableEventName } from '../../../protocol/pusher/event-name.js';
import { RoomChannelEvents, roomOfChannel } from '../../../protocol/pusher/room-channels.js';
import type { RoomChatPoster } from '../rooms/room-chat-poster.js';
import { isSocketId } from '../socket-id.js';
import { bad, shown, type Checked } from './api-reply.js';

export interface TriggerDeps {
  hub: ChannelHub;
  roomChat: RoomChatPoster;
}

/** Which counts a trigger asked to get back per channel (`info`). */
export interface InfoWanted {
  users: boolean;
  subscriptions: boolean;
}

/** One event, checked in full before anything is published. */
export interface PlannedEvent {
  event: string;
  data: string;
  /** Published through the hub. */
  channels: { name: string; cache: boolean }[];
  /** A `chat` event onto room.{room}: posted into the room's chat instead. */
  roomChats: { channel: string; room: Room; text: string; name: string }[];
  except?: string;
  info: InfoWanted | null;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** `info`: a comma-separated list of user_count and subscription_count. */
export function readInfo(v: unknown): Checked<InfoWanted | null> {
  if (v === undefined || v === null || v === '') return { ok: true, value: null };
  if (typeof v !== 'string') return bad('info must be a comma-separated list of user_count, subscription_count');
  const wanted = { users: false, subscriptions: false };
  for (const part of v.split(',')) {
    if (part === 'user_count') wanted.users = true;
    else if (part === 'subscription_count') wanted.subscriptions = true;
    else return bad(`info ${shown(part)} is not one of user_count, subscription_count`);
  }
  return { ok: true, value: wanted };
}

/** Checks one event of `events` or `batch_events` ({name, data, channels | channel, socket_id?, info?}). */
export async function planEvent(app: PusherApp, raw: unknown, deps: TriggerDeps): Promise<Checked<PlannedEvent>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('an event must be a JSON object {name, data, channels}');
  const e = raw as Record<string, unknown>;
  if (typeof e.name !== 'string' || !isTriggerableEventName(e.name)) {
    return bad('name must be an event name of 1-200 characters that does not start with pusher: or pusher_internal:');
  }
  if (e.data === undefined) return bad('data is required');
  const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
  if (utf8Bytes(data) > app.maxEventPayloadBytes) return bad(`event data is larger than the app's limit of ${app.maxEventPayloadBytes} bytes`, 413);
  const list = Array.isArray(e.channels) ? e.channels : typeof e.channel === 'string' ? [e.channel] : null;
  if (!list || list.length === 0) return bad('channels must be a non-empty list of channel names');
  if (list.length > app.maxEventChannelsAtOnce) return bad(`an event may name at most ${app.maxEventChannelsAtOnce} channels`);
  const socketId = e.socket_id;
  if (socketId !== undefined && socketId !== null && !isSocketId(socketId)) return bad('socket_id must look like 123.456');
  const info = readInfo(e.info);
  if (!info.ok) return info;
  const plan: PlannedEvent = { event: e.name, data, channels: [], roomChats: [], info: info.value };
  if (typeof socketId === 'string') plan.except = socketId;
  for (const c of new Set(list)) {
    if (typeof c !== 'string') return bad('channels must be strings');
    const cls = classifyChannel(c);
    if (!cls.ok) return bad(`invalid channel name ${shown(c)}`);
    const room = roomOfChannel(c);
    if (room && !room.valid) return bad(`invalid room channel ${shown(c)}: the room name must be 1-64 characters a-z 0-9 _ -`);
    if (!room || room.presence || e.name !== RoomChannelEvents.chat) {
      plan.channels.push({ name: c, cache: cls.cache });
      continue;
    }
    const post = deps.roomChat.read(data);
    if (!post.ok) return bad(post.message);
    const target = await deps.roomChat.find(room.room);
    if (!target) return bad(`room ${shown(room.room)} is not live, has not been, and nobody waits in it`, 404);
    plan.roomChats.push({ channel: c, room: target, text: post.text, name: post.name });
  }
  return { ok: true, value: plan };
}

/** Publishes checked events in order. Rejects with BusUnavailableError (then some may have gone out). */
export async function runEvents(app: PusherApp, plans: readonly PlannedEvent[], deps: TriggerDeps): Promise<void> {
  for (const p of plans) {
    for (const chat of p.roomChats) await deps.roomChat.post(chat.room, chat.text, chat.name);
    await Promise.all(p.channels.map((c) => deps.hub.publish(app.id, c.name, p.event, p.data, { except: p.except, cache: c.cache })));
  }
}

/** The counts `info` asked for, per channel, from the cluster's occupancy. */
export function channelInfo(channel: string, wanted: InfoWanted, occupied: ReadonlyMap<string, { subscriptions: number; users: number }>): Record<string, number> {
  const o = occupied.get(channel);
  const out: Record<string, number> = {};
  if (wanted.subscriptions) out.subscription_count = o?.subscriptions ?? 0;
  if (wanted.users && classifyChannel(channel).ok && channel.startsWith('presence-')) out.user_count = o?.users ?? 0;
  return out;
}
