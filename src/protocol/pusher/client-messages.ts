// Client → server messages of Pusher protocol 7, checked strictly: every field must have the type
// the protocol gives it, or the message is refused with a catalog code and changes nothing.
// pusher-js sends `data` as an object (Connection.send_event); a `data` string holding a JSON
// object is accepted too, as some clients encode it twice.

import { isClientEventName } from './event-name.js';
import type { PusherErrorName } from './codes.js';

export type PusherClientMessage =
  | { type: 'ping' }
  | { type: 'pong' }
  | {
      type: 'subscribe';
      channel: string;
      /** "key:signature" for private, encrypted and presence channels; null when absent or empty. */
      auth: string | null;
      /** Presence channels: the exact string that was signed. */
      channelData: string | null;
    }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'signin'; auth: string; userData: string }
  | { type: 'client_event'; event: string; channel: string; data: unknown };

export type DecodedClientMessage =
  | { ok: true; message: PusherClientMessage }
  | { ok: false; error: Extract<PusherErrorName, 'BAD_MESSAGE' | 'CLIENT_EVENT_NOT_ALLOWED'>; channel?: string };

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (channel?: string): DecodedClientMessage => (channel === undefined ? { ok: false, error: 'BAD_MESSAGE' } : { ok: false, error: 'BAD_MESSAGE', channel });
const ok = (message: PusherClientMessage): DecodedClientMessage => ({ ok: true, message });

function objectData(v: unknown): Obj | null {
  if (isObject(v)) return v;
  if (typeof v !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Absent, undefined or null: null; a string: itself; anything else: invalid. */
function optionalString(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : undefined;
}

export function decodeClientMessage(text: string): DecodedClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return bad();
  }
  if (!isObject(msg) || typeof msg.event !== 'string') return bad();
  const event = msg.event;
  switch (event) {
    case 'pusher:ping':
      return ok({ type: 'ping' });
    case 'pusher:pong':
      return ok({ type: 'pong' });
    case 'pusher:subscribe': {
      const data = objectData(msg.data);
      if (!data || typeof data.channel !== 'string' || data.channel === '') return bad();
      const auth = optionalString(data.auth);
      const channelData = optionalString(data.channel_data);
      if (auth === undefined || channelData === undefined) return bad(data.channel);
      return ok({ type: 'subscribe', channel: data.channel, auth: auth || null, channelData });
    }
    case 'pusher:unsubscribe': {
      const data = objectData(msg.data);
      if (!data || typeof data.channel !== 'string' || data.channel === '') return bad();
      return ok({ type: 'unsubscribe', channel: data.channel });
    }
    case 'pusher:signin': {
      const data = objectData(msg.data);
      if (!data || typeof data.auth !== 'string' || typeof data.user_data !== 'string') return bad();
      return ok({ type: 'signin', auth: data.auth, userData: data.user_data });
    }
  }
  const channel = typeof msg.channel === 'string' && msg.channel !== '' ? msg.channel : undefined;
  if (!isClientEventName(event)) {
    // Unknown protocol events, and application events without the client- prefix.
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return bad(channel);
    return channel === undefined ? { ok: false, error: 'CLIENT_EVENT_NOT_ALLOWED' } : { ok: false, error: 'CLIENT_EVENT_NOT_ALLOWED', channel };
  }
  if (channel === undefined) return bad();
  return ok({ type: 'client_event', event, channel, data: msg.data });
}
