// The one catalog of Pusher-protocol codes. docs/pusher.md lists the same entries;
// test/unit/pusher-doc.test.ts fails when the two drift apart.
//
// Pusher clients decide what to do from the close code alone, by range (pusher-js
// Protocol.getCloseAction): 4000 switch to TLS, 4001-4099 give up, 4100-4199 reconnect after a
// back-off, 4200-4299 reconnect at once, 4300 and above give up. A code therefore has to sit in
// the range whose behaviour we want, whatever its name says.

/** What pusher-js does after a close with this code; null: it treats the close as a network drop. */
export type PusherCloseAction = 'tls_only' | 'refused' | 'backoff' | 'retry' | null;

/** The same decision as pusher-js's Protocol.getCloseAction, for our docs and tests. */
export function pusherCloseAction(code: number): PusherCloseAction {
  if (code < 4000) return code >= 1002 && code <= 1004 ? 'backoff' : null;
  if (code === 4000) return 'tls_only';
  if (code < 4100) return 'refused';
  if (code < 4200) return 'backoff';
  if (code < 4300) return 'retry';
  return 'refused';
}

/**
 * Codes sent as `pusher:error` `{code, message}`. Those with `closes` are sent once, then the
 * connection is closed with the same code; the others leave the connection open.
 */
export const PusherErrorCodes = {
  APP_NOT_FOUND: { code: 4001, closes: true, message: 'no app has this key' },
  APP_DISABLED: { code: 4003, closes: true, message: 'the app is disabled' },
  APP_OVER_QUOTA: { code: 4004, closes: true, message: 'the app is over its connection quota' },
  UNSUPPORTED_PROTOCOL: { code: 4007, closes: true, message: 'unsupported protocol version; this server speaks protocol 7' },
  UNAUTHORIZED: { code: 4009, closes: true, message: 'connection is unauthorized' },
  ORIGIN_NOT_ALLOWED: { code: 4009, closes: true, message: 'origin not allowed' },
  OVER_CAPACITY: { code: 4100, closes: true, message: 'server over capacity; reconnect later' },
  SLOW_CONSUMER: { code: 4100, closes: true, message: 'too far behind on reading; reconnect later' },
  SHUTTING_DOWN: { code: 4200, closes: true, message: 'server shutting down; reconnect' },
  PONG_NOT_RECEIVED: { code: 4201, closes: true, message: 'pong reply not received' },
  INACTIVE: { code: 4202, closes: true, message: 'closed after inactivity' },
  POLICY_VIOLATION: { code: 4300, closes: true, message: 'too many invalid messages' },
  CLIENT_EVENT_RATE_LIMITED: { code: 4301, closes: false, message: 'client event rejected due to rate limit' },
  CLIENT_EVENTS_DISABLED: { code: 4302, closes: false, message: 'client events are not enabled for this app' },
  CLIENT_EVENT_NOT_ALLOWED: {
    code: 4303,
    closes: false,
    message: 'client events need the client- prefix and a private or presence channel this connection is subscribed to',
  },
  MESSAGE_TOO_LARGE: { code: 4304, closes: false, message: "message is larger than the app's max_message_size" },
  BAD_MESSAGE: { code: 4305, closes: false, message: 'messages must be JSON objects {event, data, channel?} with the fields their event needs' },
  BUS_UNAVAILABLE: { code: 4306, closes: false, message: 'the event could not be published now: the server cannot reach the other nodes' },
} as const satisfies Record<string, { code: number; closes: boolean; message: string }>;

export type PusherErrorName = keyof typeof PusherErrorCodes;

/**
 * Refused subscriptions: `pusher:subscription_error` on the channel, data `{type, error, status}`.
 * `status` follows HTTP, as pusher-js's own auth errors do (HTTPAuthError.status).
 */
export const PusherSubscriptionErrors = {
  BAD_CHANNEL_NAME: {
    type: 'InvalidChannel',
    status: 400,
    message: 'channel names are 1-164 characters of A-Z a-z 0-9 _ - = @ , . ;',
  },
  AUTH_FAILED: { type: 'AuthError', status: 401, message: 'auth signature missing or invalid' },
  BAD_CHANNEL_DATA: { type: 'AuthError', status: 400, message: 'presence channel_data must be JSON with a user_id' },
  USER_CHANNEL_FORBIDDEN: { type: 'AuthError', status: 403, message: 'a #server-to-user- channel is only for the user signed in on this connection' },
  PRESENCE_FULL: { type: 'LimitReached', status: 403, message: 'the presence channel has reached its member limit' },
  MEMBER_TOO_LARGE: { type: 'LimitReached', status: 413, message: "user_info is larger than the app's presence member size limit" },
  TOO_MANY_CHANNELS: { type: 'LimitReached', status: 429, message: 'this connection is subscribed to too many channels' },
  SUBSCRIBE_RATE_LIMITED: { type: 'LimitReached', status: 429, message: 'subscribing too often; try again in a moment' },
  BAD_ROOM_CHANNEL: { type: 'InvalidChannel', status: 400, message: 'room channels are room.{room} and presence-room.{room}, with a room name of 1-64 characters a-z 0-9 _ -, starting with a letter or digit' },
  ROOM_FORBIDDEN: { type: 'AuthError', status: 403, message: 'this room cannot be followed without access to it' },
  ROOM_UNAVAILABLE: { type: 'LimitReached', status: 503, message: 'the server holds too many rooms nobody has been live in; try again later' },
  SERVER_ERROR: { type: 'ServerError', status: 500, message: 'the subscription could not be completed' },
} as const satisfies Record<string, { type: string; status: number; message: string }>;

export type PusherSubscriptionErrorName = keyof typeof PusherSubscriptionErrors;

/**
 * Refusals of beamcast's own channel auth endpoint (POST /pusher/auth), answered as
 * `{"error": name, "message"}` with the status; pusher-js reports the status to the app.
 */
export const PusherAuthErrors = {
  BAD_AUTH_REQUEST: { status: 400, message: 'socket_id and channel_name are required; socket_id looks like 123.456' },
  APP_KEY_REQUIRED: { status: 400, message: 'several apps are configured: name one with app_key' },
  BAD_USER: { status: 400, message: 'user_id must be 1-128 characters of A-Z a-z 0-9 _ - = @ , . ; and the name must follow the name rule' },
  APP_NOT_FOUND: { status: 404, message: 'no app has this key' },
  NOT_A_ROOM_CHANNEL: { status: 403, message: "this endpoint signs room channels only (presence-room.{room}); sign other channels with the app's own auth endpoint" },
  ROOM_FORBIDDEN: { status: 403, message: 'this room cannot be followed without access to it' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: "origin not allowed by the app's allowed_origins" },
} as const satisfies Record<string, { status: number; message: string }>;

export type PusherAuthErrorName = keyof typeof PusherAuthErrors;
