import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GRANTS, isGrant, type Grant } from '../protocol/index.js';

// The token key is HMAC-SHA256(STREAM_SECRET, this label): never the raw secret, and never a
// stream key (those are HMAC(secret, room) and a room name cannot contain a space or a colon).
const TOKEN_KEY_LABEL = 'beamcast:viewer-token:v1';
const SIGNATURE_BYTES = 32;
/** Longest token accepted: a payload with the longest room name and every grant fits well below. */
export const MAX_TOKEN_LENGTH = 512;
/** Longest validity a token may be minted with. */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function deriveTokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(TOKEN_KEY_LABEL).digest();
}

/** What a token says: its room, what it allows there, and until when. */
export interface TokenClaims {
  room: string;
  grants: Grant[];
  /** Ms since the Unix epoch (whole seconds). */
  expiresAt: number;
}

interface Payload {
  r: string;
  g: Grant[];
  /** Expiry, seconds since the Unix epoch. */
  e: number;
  /** Random: no two tokens are alike, so one can be told apart (or revoked) later. */
  n: string;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; code: 'BAD_TOKEN' | 'TOKEN_EXPIRED' };

/**
 * A viewer token: base64url(JSON payload) "." base64url(HMAC-SHA256(token key, payload part)).
 * Grants are listed in their canonical order, without repeats.
 */
export function mintToken(key: Buffer, room: string, grants: readonly Grant[], ttlSeconds: number, now = Date.now()): { token: string; claims: TokenClaims } {
  const g = GRANTS.filter((x) => grants.includes(x));
  const e = Math.floor(now / 1000) + Math.max(1, Math.floor(ttlSeconds));
  const payload: Payload = { r: room, g, e, n: randomBytes(6).toString('base64url') };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return { token: `${body}.${sign(key, body).toString('base64url')}`, claims: { room, grants: g, expiresAt: e * 1000 } };
}

/**
 * Checks a token for `room`: its signature (in constant time), then its room and fields, then its
 * expiry. Anything that is not a well-formed token of this server for this room is BAD_TOKEN.
 */
export function verifyToken(key: Buffer, token: string, room: string, now = Date.now()): TokenCheck {
  const bad: TokenCheck = { ok: false, code: 'BAD_TOKEN' };
  if (token.length > MAX_TOKEN_LENGTH) return bad;
  const dot = token.indexOf('.');
  if (dot <= 0) return bad;
  const body = token.slice(0, dot);
  const sig = token.slice(dot + 1);
  if (!BASE64URL.test(body) || !BASE64URL.test(sig)) return bad;
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== SIGNATURE_BYTES || !timingSafeEqual(got, sign(key, body))) return bad;
  let p: Partial<Payload>;
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Payload>;
  } catch {
    return bad;
  }
  if (typeof p !== 'object' || p === null || p.r !== room || !Array.isArray(p.g) || !p.g.every(isGrant) || !Number.isSafeInteger(p.e)) return bad;
  if ((p.e as number) * 1000 <= now) return { ok: false, code: 'TOKEN_EXPIRED' };
  return { ok: true, claims: { room, grants: GRANTS.filter((x) => p.g!.includes(x)), expiresAt: (p.e as number) * 1000 } };
}

function sign(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}

/**
 * A validity such as `90`, `90s`, `15m`, `2h` or `7d`, in seconds; null when it is not one, or
 * is outside 1 s .. MAX_TOKEN_TTL_SECONDS.
 */
export function parseTtl(text: string): number | null {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const seconds = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return seconds >= 1 && seconds <= MAX_TOKEN_TTL_SECONDS ? seconds : null;
}
