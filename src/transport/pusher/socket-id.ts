import { randomBytes } from 'node:crypto';

/** The form pusher-js and the server SDKs expect (and validate) for socket ids. */
export const SOCKET_ID_PATTERN = /^\d+\.\d+$/;

/**
 * A new socket id: two random 48-bit numbers, "123.456". The id is public (clients send it to
 * their auth endpoint), but it names the connection in signed auth strings and in socket_id
 * exclusion, so it must not be guessable: 96 random bits.
 */
export function newSocketId(): string {
  const b = randomBytes(12);
  return `${b.readUIntBE(0, 6)}.${b.readUIntBE(6, 6)}`;
}

export function isSocketId(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 64 && SOCKET_ID_PATTERN.test(s);
}
