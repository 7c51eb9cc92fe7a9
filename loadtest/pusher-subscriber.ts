// What a lean Pusher protocol 7 subscriber sends and how it reads what it gets, the way pusher-js
// does: the URL pusher-js v8 connects to, its subscribe message for a public channel, its answer
// to pusher:ping, and Protocol.decodeMessage (the envelope is JSON; a string `data` is parsed as
// JSON again when it can be, else kept as the string). The load generator's threads use it on
// top of LeanSocket; a test checks it against pusher-js itself.

/** The path pusher-js v8 opens for an app key (protocol 7). */
export function pusherPath(key: string): string {
  return `/app/${encodeURIComponent(key)}?protocol=7&client=js&version=8.6.0&flash=false`;
}

/** pusher-js subscribes to a public channel with an empty auth and no channel_data. */
export function subscribeMessage(channel: string): string {
  return JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel } });
}

export const PONG = '{"event":"pusher:pong","data":{}}';

export interface PusherMessage {
  event: string;
  channel?: string;
  data: unknown;
  user_id?: string;
}

/** Protocol.decodeMessage of pusher-js: null for anything that is not an event envelope. */
export function decodePusherMessage(text: string): PusherMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || typeof (m as { event?: unknown }).event !== 'string') return null;
  const msg = m as PusherMessage;
  if (typeof msg.data === 'string') {
    try {
      msg.data = JSON.parse(msg.data);
    } catch {
      // pusher-js keeps data that is not JSON as the string
    }
  }
  return msg;
}

/** The data of a load test event: its sequence number and the trigger's send time (ms, wall clock). */
export interface BenchEventData {
  seq: number;
  sentAt: number;
}

/** The event's `data` string: seq and send time, padded to `bytes`. */
export function benchEventData(seq: number, sentAt: number, bytes: number): string {
  const head = `{"seq":${seq},"sentAt":${sentAt.toFixed(3)},"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

export function readBenchEvent(data: unknown): BenchEventData | null {
  const d = data as Partial<BenchEventData> | null;
  return d && typeof d === 'object' && Number.isInteger(d.seq) && typeof d.sentAt === 'number' ? { seq: d.seq!, sentAt: d.sentAt } : null;
}

/** What one text message means to a subscriber of `channel` waiting for events named `eventName`. */
export type SubscriberStep =
  | { kind: 'established'; socketId: string; activityTimeout: number }
  | { kind: 'subscribed' }
  | { kind: 'ping' }
  | { kind: 'event'; seq: number; sentAt: number }
  | { kind: 'error'; code: string }
  | { kind: 'other' };

export function subscriberStep(text: string, channel: string, eventName: string): SubscriberStep {
  const m = decodePusherMessage(text);
  if (!m) return { kind: 'error', code: 'unreadable' };
  if (m.event === eventName && m.channel === channel) {
    const e = readBenchEvent(m.data);
    return e ? { kind: 'event', seq: e.seq, sentAt: e.sentAt } : { kind: 'error', code: 'bad event data' };
  }
  switch (m.event) {
    case 'pusher:connection_established': {
      const d = m.data as { socket_id?: unknown; activity_timeout?: unknown } | null;
      if (typeof d?.socket_id !== 'string') return { kind: 'error', code: 'no socket_id' };
      return { kind: 'established', socketId: d.socket_id, activityTimeout: typeof d.activity_timeout === 'number' ? d.activity_timeout : 120 };
    }
    case 'pusher_internal:subscription_succeeded':
      return m.channel === channel ? { kind: 'subscribed' } : { kind: 'other' };
    case 'pusher:ping':
      return { kind: 'ping' };
    case 'pusher:error': {
      const d = m.data as { code?: unknown } | null;
      return { kind: 'error', code: `pusher:error ${String(d?.code ?? '?')}` };
    }
    case 'pusher:subscription_error': {
      const d = m.data as { status?: unknown } | null;
      return { kind: 'error', code: `subscription_error ${String(d?.status ?? '?')}` };
    }
    default:
      return { kind: 'other' };
  }
}
