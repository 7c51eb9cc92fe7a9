import { createHmac } from 'node:crypto';
import { addressKey } from './address-key.js';

// The identity key is HMAC-SHA256(STREAM_SECRET, this label): never the secret, never the token
// key or a stream key (other labels, and a room name cannot contain a colon).
const IDENTITY_KEY_LABEL = 'beamcast:identity:v1';

/** What a client keeps and sends as `identity=`: a random secret of its own. */
export const IDENTITY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** A person's public id: 16 lower-case hex characters (64 bits of an HMAC). */
export const PUBLIC_ID_PATTERN = /^[0-9a-f]{16}$/;

export function deriveIdentityKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(IDENTITY_KEY_LABEL).digest();
}

export function isIdentity(value: string): boolean {
  return IDENTITY_PATTERN.test(value);
}

/**
 * The public id of whoever holds `identity` in `room`: the same after every reconnect, on every
 * node, and nobody can make it without that secret. It differs per room, so a person cannot be
 * followed from room to room by id.
 */
export function publicIdOf(key: Buffer, room: string, identity: string): string {
  return createHmac('sha256', key).update(`id\n${room}\n${identity}`).digest('hex').slice(0, 16);
}

/**
 * An address as a ban remembers it: keyed like the connection limits (IPv6 by /64) and hashed,
 * so the shared store holds no client address.
 */
export function addressTag(key: Buffer, room: string, address: string): string {
  return createHmac('sha256', key).update(`addr\n${room}\n${addressKey(address)}`).digest('hex').slice(0, 16);
}
