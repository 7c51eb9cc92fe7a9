// The one catalog of error and close codes. docs/protocol.md lists the same entries;
// test/unit/protocol-doc.test.ts fails when the two drift apart.

/** Stable error codes, sent in `error` messages and in JSON bodies of refused upgrades and HTTP calls. */
export const ErrorCodes = {
  BAD_ROOM: { status: 400, message: 'room names are 1-64 chars of a-z, 0-9, _ and -, starting with a letter or digit' },
  BAD_ROLE: { status: 400, message: 'role must be viewer or broadcaster' },
  BAD_QUALITY: { status: 400, message: 'unknown quality tier' },
  BAD_SINCE: { status: 400, message: 'since must be a non-negative integer chat id' },
  NAME_TOO_LONG: { status: 400, message: 'name is longer than the limit' },
  BAD_NAME: { status: 400, message: 'names may not contain control, format (bidi, zero-width) or other invisible characters' },
  NAME_RESERVED: { status: 409, message: "that name is the broadcaster's: you appear under the name in welcome.you instead" },
  UNSUPPORTED_WS_VERSION: { status: 426, message: 'only WebSocket version 13 is supported (Sec-WebSocket-Version: 13)' },
  BAD_KEY: { status: 401, message: 'stream key missing or wrong for this room' },
  TOKEN_REQUIRED: { status: 401, message: 'this room is private: a viewer token is needed (token=)' },
  BAD_TOKEN: { status: 401, message: 'the token is not valid for this room' },
  TOKEN_EXPIRED: { status: 401, message: 'the token has expired: ask the broadcaster for a new link' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'origin not allowed' },
  ROOM_NOT_FOUND: { status: 404, message: 'no such room' },
  NO_FRAME: { status: 404, message: 'the room has no frame yet' },
  CONNECTING_TOO_FAST: { status: 429, message: 'new connections from this address come too fast; retry after a moment' },
  TOO_MANY_CONNECTIONS: { status: 429, message: 'too many connections from this address' },
  ROOM_FULL: { status: 503, message: 'the room has reached its viewer limit' },
  SHUTTING_DOWN: { status: 503, message: 'the server is shutting down' },
  TOO_MANY_WAITING_ROOMS: { status: 503, message: 'too many rooms are waiting for their first broadcast; try again later' },
  RATE_LIMITED: { status: 429, message: 'too many requests from this address; try again after Retry-After seconds' },
  BODY_TOO_LARGE: { status: 413, message: 'request body is larger than the limit' },
  BAD_BODY: { status: 400, message: 'request body must be a JSON object with the documented fields only, each of the right type and range' },
  SETTINGS_UNAVAILABLE: { status: 503, message: "the room's settings cannot be read or stored right now; try again shortly" },
  BAD_JSON: { status: 400, message: 'text messages must be JSON objects with a type' },
  UNKNOWN_TYPE: { status: 400, message: 'unknown message type' },
  BAD_MESSAGE: { status: 400, message: 'message fields are missing or of the wrong type' },
  MESSAGE_TOO_LARGE: { status: 413, message: 'text message is larger than the limit' },
  NOT_ALLOWED: { status: 403, message: 'not allowed: video frames and encoding messages need the broadcaster role, and a private room needs a token with the grant for it' },
  FRAME_TOO_LARGE: { status: 413, message: 'frame is larger than the limit' },
  FRAME_MALFORMED: { status: 400, message: 'frame header is missing or inconsistent' },
  FRAME_NOT_JPEG: { status: 415, message: 'frame payload is not a complete JPEG (FF D8 ... FF D9)' },
  FRAME_UNSAFE: {
    status: 422,
    message: 'frame JPEG cannot be walked safely to strip its metadata (too many markers, a truncated or unknown segment, no scan); it was dropped',
  },
  FRAME_RATE_LIMITED: { status: 429, message: 'frames arrive faster than the limit; extra frames are dropped' },
  TIER_NOT_ANNOUNCED: { status: 409, message: 'tier frame for a tier the broadcaster has not announced in its last encoding message; it was dropped' },
  TIER_FRAME_SIZE: {
    status: 422,
    message: "tier frame is larger than its tier allows (wider than the tier or the source, or taller than the source's shape), or came before any source frame; it was dropped",
  },
  CHAT_EMPTY: { status: 400, message: 'chat text is empty' },
  CHAT_TOO_LONG: { status: 413, message: 'chat text is longer than the limit' },
  CHAT_RATE_LIMITED: { status: 429, message: 'chat messages are sent too fast' },
  CHAT_UNAVAILABLE: { status: 503, message: 'chat cannot be stored right now; the message was not sent, try again shortly' },
  REQUEST_RATE_LIMITED: { status: 429, message: 'requests (history, quality, ping) are sent too fast; wait and retry' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * WebSocket close codes. 4000–4499: the client should reconnect (with backoff).
 * 4500–4999: it should not reconnect automatically.
 */
export const CloseCodes = {
  SERVER_SHUTDOWN: { code: 4000, reason: 'server shutting down' },
  SLOW_CONSUMER: { code: 4001, reason: 'too far behind: reconnect and recover chat by id' },
  // Standard code (RFC 6455): the close frame a browser can read, for messages the server read
  // but will not handle. Larger ones are not read at all (see docs/protocol.md, Limits).
  MESSAGE_TOO_BIG: { code: 1009, reason: 'message larger than the limit' },
  POLICY_VIOLATION: { code: 4500, reason: 'too many invalid messages' },
  REPLACED: { code: 4501, reason: 'another broadcaster took over this room' },
  // A viewer without a token (or without its watch grant) when the room turned private:
  // reconnecting would only be refused, so the page explains and waits for a link with a token.
  PRIVATE_ROOM: { code: 4502, reason: 'this room is now private: a viewer token is needed' },
} as const satisfies Record<string, { code: number; reason: string }>;

export type CloseCodeName = keyof typeof CloseCodes;

export function shouldReconnect(closeCode: number): boolean {
  // Standard codes (1000-3999) other than a normal close are network trouble: reconnect.
  if (closeCode >= 4500 && closeCode <= 4999) return false;
  return closeCode !== 1000;
}
