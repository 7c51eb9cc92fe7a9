import { ErrorCodes, checkName, isValidRoomName, type ErrorCode, type Grant, type Role } from '../protocol/index.js';
import type { ConnectionLimiter } from './connection-limiter.js';
import type { RoomRegistry } from './room-registry.js';
import { isValidStreamKey } from './stream-key.js';
import { verifyToken } from './viewer-token.js';

/** What a transport copied out of an upgrade request. */
export interface UpgradeInfo {
  room: string;
  query: URLSearchParams;
  origin: string;
  address: string;
  /** The Sec-WebSocket-Version header ('' when missing). */
  wsVersion: string;
}

export interface Admitted {
  ok: true;
  room: string;
  role: Role;
  name: string;
  quality: string;
  since: number | null;
  address: string;
  /** The viewer token of the query (`token=`), if any: a viewer's is checked against the room next. */
  token: string | null;
  /** What a valid token grants (null: none, or the broadcaster came with the stream key). */
  tokenGrants: Grant[] | null;
  /** A token that did not verify in a room that needed none: reported to the client after `welcome`. */
  tokenError: ErrorCode | null;
}

export type Admission = Admitted | { ok: false; code: ErrorCode };

export interface AdmissionPolicy {
  secret: string;
  /** Viewer tokens are signed with it (deriveTokenKey). */
  tokenKey: Buffer;
  allowedOrigins: readonly string[];
  maxNameLength: number;
  qualities: readonly string[];
  isDraining(): boolean;
}

/**
 * Decides an upgrade before any WebSocket exists, so refused clients cost one HTTP response.
 * On success one connection slot for the address is taken: release it when the socket closes.
 */
export function admit(info: UpgradeInfo, policy: AdmissionPolicy, rooms: RoomRegistry, limiter: ConnectionLimiter): Admission {
  const refuse = (code: ErrorCode): Admission => ({ ok: false, code });
  // RFC 6455 is version 13; any other is refused with 426 naming it (the transport adds the header).
  if (info.wsVersion !== '13') return refuse('UNSUPPORTED_WS_VERSION');
  if (policy.isDraining()) return refuse('SHUTTING_DOWN');
  if (!originAllowed(info.origin, policy.allowedOrigins)) return refuse('ORIGIN_NOT_ALLOWED');
  if (!isValidRoomName(info.room)) return refuse('BAD_ROOM');
  const q = info.query;
  const roleRaw = q.get('role') ?? 'viewer';
  if (roleRaw !== 'viewer' && roleRaw !== 'broadcaster') return refuse('BAD_ROLE');
  const role: Role = roleRaw;
  const token = q.get('token') || null;
  let tokenGrants: Grant[] | null = null;
  // A broadcaster holds the stream key, or a token that grants `publish`.
  if (role === 'broadcaster' && !isValidStreamKey(policy.secret, info.room, q.get('key') ?? undefined)) {
    if (!token) return refuse('BAD_KEY');
    const check = verifyToken(policy.tokenKey, token, info.room);
    if (!check.ok) return refuse(check.code);
    if (!check.claims.grants.includes('publish')) return refuse('NOT_ALLOWED');
    tokenGrants = check.claims.grants;
  }
  const named = checkName(q.get('name') ?? '', policy.maxNameLength);
  if (!named.ok) return refuse(named.code);
  const name = named.name;
  const quality = q.get('quality') || policy.qualities[0]!;
  if (!policy.qualities.includes(quality)) return refuse('BAD_QUALITY');
  const sinceRaw = q.get('since');
  let since: number | null = null;
  if (sinceRaw !== null && sinceRaw !== '') {
    since = Number(sinceRaw);
    if (!/^\d+$/.test(sinceRaw) || !Number.isSafeInteger(since)) return refuse('BAD_SINCE');
  }
  if (role === 'viewer' && rooms.get(info.room)?.isFull) return refuse('ROOM_FULL');
  // Broadcasters hold a key; viewers could make up any number of room names to wait in.
  if (role === 'viewer' && !rooms.canHost(info.room)) return refuse('TOO_MANY_WAITING_ROOMS');
  const slot = limiter.acquire(info.address);
  if (slot !== 'ok') return refuse(slot === 'too_many' ? 'TOO_MANY_CONNECTIONS' : 'CONNECTING_TOO_FAST');
  return { ok: true, room: info.room, role, name, quality, since, address: info.address, token, tokenGrants, tokenError: null };
}

function originAllowed(origin: string, allowed: readonly string[]): boolean {
  // Non-browser clients send no Origin; origin checks only protect browsers' users.
  if (!origin || allowed.includes('*')) return true;
  return allowed.includes(origin);
}

export function refusalStatus(code: ErrorCode): number {
  return ErrorCodes[code].status;
}
