// Server → client messages of Pusher protocol 7, encoded as pusher-js reads them
// (Protocol.decodeMessage: the envelope is JSON; a string `data` is parsed as JSON again when it
// can be, any other `data` is used as is). Where the Pusher protocol documents `data` as a
// string (connection_established, subscription_succeeded, member_added/removed, channel
// events) it is sent as a JSON string; elsewhere as an object, as the protocol shows it.

import { PusherErrorCodes, PusherSubscriptionErrors, type PusherErrorName, type PusherSubscriptionErrorName } from './codes.js';

export const PUSHER_PROTOCOL_VERSION = 7;

export function connectionEstablished(socketId: string, activityTimeoutSeconds: number): string {
  const data = JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeoutSeconds });
  return JSON.stringify({ event: 'pusher:connection_established', data });
}

export const PING = '{"event":"pusher:ping","data":{}}';
export const PONG = '{"event":"pusher:pong","data":{}}';

/** `pusher:error` from the catalog; `channel` when the error is about one (client events). */
export function pusherError(name: PusherErrorName, channel?: string, message?: string): string {
  const e = PusherErrorCodes[name];
  const msg: Record<string, unknown> = { event: 'pusher:error', data: { code: e.code, message: message ?? e.message } };
  if (channel !== undefined) msg.channel = channel;
  return JSON.stringify(msg);
}

export function subscriptionSucceeded(channel: string): string {
  return JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' });
}

/**
 * Presence channels: the member list pusher-js's Members.onSubscription reads
 * (`presence.hash` becomes the members, `presence.count` their number).
 */
export function presenceSubscriptionSucceeded(channel: string, members: ReadonlyMap<string, unknown>): string {
  // Object.fromEntries defines own properties, so an id such as "__proto__" stays a member.
  const hash = Object.fromEntries([...members].map(([id, info]) => [id, info === undefined ? null : info]));
  const data = JSON.stringify({ presence: { ids: [...members.keys()], hash, count: members.size } });
  return JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data });
}

export function subscriptionError(channel: string, name: PusherSubscriptionErrorName, message?: string): string {
  const e = PusherSubscriptionErrors[name];
  return JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type: e.type, error: message ?? e.message, status: e.status } });
}

export function memberAdded(channel: string, userId: string, userInfo: unknown): string {
  const data = JSON.stringify({ user_id: userId, user_info: userInfo });
  return JSON.stringify({ event: 'pusher_internal:member_added', channel, data });
}

export function memberRemoved(channel: string, userId: string): string {
  return JSON.stringify({ event: 'pusher_internal:member_removed', channel, data: JSON.stringify({ user_id: userId }) });
}

/** `userData` is the exact string the client signed in with; pusher-js JSON-parses it. */
export function signinSuccess(userData: string): string {
  return JSON.stringify({ event: 'pusher:signin_success', data: { user_data: userData } });
}

/**
 * An application event on a channel. `data` is kept as the string it was triggered with (the
 * HTTP API's form); any other value (a client event's object) is serialised once into a string.
 * `userId` marks client events on presence channels with their sender.
 */
export function channelEvent(channel: string, event: string, data: unknown, userId?: string): string {
  const msg: Record<string, unknown> = { event, channel, data: typeof data === 'string' ? data : JSON.stringify(data ?? null) };
  if (userId !== undefined) msg.user_id = userId;
  return JSON.stringify(msg);
}

export function cacheMiss(channel: string): string {
  return JSON.stringify({ event: 'pusher:cache_miss', channel });
}

export function subscriptionCount(channel: string, count: number): string {
  return JSON.stringify({ event: 'pusher_internal:subscription_count', channel, data: JSON.stringify({ subscription_count: count }) });
}
