import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `data` keyed by `secret`, lower-case hex: every Pusher signature is one. */
export function hmacSha256Hex(secret: string, data: string | Uint8Array): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

const HEX_64 = /^[0-9a-f]{64}$/;

/**
 * Compares a received signature with the expected one in constant time. Anything that is not
 * 64 lower-case hex digits is simply wrong: false, never an exception, and no early exit
 * that depends on how much of a well-formed signature matched.
 */
export function signatureMatches(expectedHex: string, received: unknown): boolean {
  if (typeof received !== 'string' || !HEX_64.test(received)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'latin1'), Buffer.from(received, 'latin1'));
}
