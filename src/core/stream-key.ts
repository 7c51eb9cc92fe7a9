import { createHmac, timingSafeEqual } from 'node:crypto';

/** A room's stream key: the first 32 hex chars of HMAC-SHA256(secret, room). */
export function streamKey(secret: string, room: string): string {
  return createHmac('sha256', secret).update(room).digest('hex').slice(0, 32);
}

export function isValidStreamKey(secret: string, room: string, key: string | undefined): boolean {
  if (!key || key.length !== 32) return false;
  const want = Buffer.from(streamKey(secret, room));
  const got = Buffer.from(key.toLowerCase());
  return got.length === want.length && timingSafeEqual(got, want);
}
