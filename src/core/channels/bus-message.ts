// What the hub of one node publishes on a channel for the hubs of every node (this one
// included), and the control messages of an app. Short keys: every event crosses the bus in this
// form once per node that listens. Anything else read from the bus is ignored.

import type { ChannelEvent } from './channel-events.js';

/** e: an event (x: socket to skip, u: its sender on a presence channel); a / r: a member added (i: user info JSON) / removed. */
export type BusMessage =
  | { k: 'e'; e: string; d: string; x?: string; u?: string }
  | { k: 'a'; u: string; i: string; x?: string }
  | { k: 'r'; u: string };

/** t: close every connection of user `u` of the app. */
export type ControlMessage = { k: 't'; u: string };

const str = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';

export function encodeBusMessage(m: BusMessage | ControlMessage): string {
  return JSON.stringify(m);
}

function parse(payload: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(payload);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function decodeBusMessage(payload: string): BusMessage | null {
  const m = parse(payload);
  if (!m) return null;
  switch (m.k) {
    case 'e':
      return str(m.e) && str(m.d) && optStr(m.x) && optStr(m.u) ? (m as BusMessage) : null;
    case 'a':
      return str(m.u) && str(m.i) && optStr(m.x) ? (m as BusMessage) : null;
    case 'r':
      return str(m.u) ? (m as BusMessage) : null;
    default:
      return null;
  }
}

export function decodeControlMessage(payload: string): ControlMessage | null {
  const m = parse(payload);
  return m && m.k === 't' && str(m.u) ? (m as ControlMessage) : null;
}

/** A user's info as stored on the bus (JSON), read back; undefined when it is not JSON. */
export function parseUserInfo(info: string): unknown {
  try {
    return JSON.parse(info);
  } catch {
    return undefined;
  }
}

/** What a bus message tells the subscribers of `channel`. */
export function busMessageEvent(channel: string, m: BusMessage): ChannelEvent {
  switch (m.k) {
    case 'e':
      return m.u === undefined ? { type: 'event', channel, event: m.e, data: m.d } : { type: 'event', channel, event: m.e, data: m.d, userId: m.u };
    case 'a':
      return { type: 'member_added', channel, userId: m.u, userInfo: parseUserInfo(m.i) };
    case 'r':
      return { type: 'member_removed', channel, userId: m.u };
  }
}
