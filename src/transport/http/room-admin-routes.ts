import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BusUnavailableError } from '../../core/broker/broker.js';
import type { RoomAccess } from '../../core/room-access.js';
import type { RoomRegistry } from '../../core/room-registry.js';
import { SETTINGS_KEY } from '../../core/room-settings-holder.js';
import { isValidStreamKey } from '../../core/stream-key.js';
import { MAX_TOKEN_TTL_SECONDS, mintToken, verifyToken } from '../../core/viewer-token.js';
import { ErrorCodes, GRANTS, isGrant, isValidRoomName, parseSettingsPatch, settingsFrom, type ErrorCode, type Grant } from '../../protocol/index.js';
import { replyError } from './api-routes.js';

export interface RoomAdminDeps {
  rooms: RoomRegistry;
  access: RoomAccess;
  secret: string;
  tokenKey: Buffer;
}

type RoomRequest = FastifyRequest<{ Params: { room: string } }>;

const DEFAULT_GRANTS: Grant[] = ['watch', 'chat'];
const DEFAULT_TTL_SECONDS = 24 * 3600;

/**
 * What the holder of a room's stream key does over HTTP: read and change the room's settings
 * (`/api/rooms/:room/settings`) and mint viewer tokens (`POST /api/rooms/:room/tokens`), each
 * authorised by `Authorization: Bearer <stream key>`. And what a viewer page asks to explain a
 * refused connection: `POST /api/rooms/:room/access` with its token, if any.
 *
 * Answers here are about one room and one credential: never cached.
 */
export function registerRoomAdminRoutes(app: FastifyInstance, deps: RoomAdminDeps): void {
  const { rooms } = deps;

  /** The room name, if the request may act on the room; otherwise the refusal has been answered. */
  const authorize = (req: RoomRequest, reply: FastifyReply): string | null => {
    reply.header('cache-control', 'no-store');
    const { room } = req.params;
    if (!isValidRoomName(room)) {
      replyError(reply, 'BAD_ROOM');
      return null;
    }
    const credential = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (isValidStreamKey(deps.secret, room, credential)) return room;
    // A viewer token is no key: a valid one is refused for what it is (403), anything else as a bad key.
    let code: ErrorCode = 'BAD_KEY';
    if (credential.includes('.')) {
      const check = verifyToken(deps.tokenKey, credential, room);
      code = check.ok ? 'NOT_ALLOWED' : check.code;
    }
    req.log.info({ room, code }, 'room admin refused');
    if (ErrorCodes[code].status === 401) reply.header('www-authenticate', 'Bearer realm="beamcast"');
    replyError(reply, code);
    return null;
  };

  app.get<{ Params: { room: string } }>('/api/rooms/:room/settings', async (req, reply) => {
    const room = authorize(req, reply);
    if (room === null) return reply;
    const settings = await deps.access.settingsOf(room);
    return settings ?? replyError(reply, 'SETTINGS_UNAVAILABLE');
  });

  app.put<{ Params: { room: string } }>('/api/rooms/:room/settings', async (req, reply) => {
    const room = authorize(req, reply);
    if (room === null) return reply;
    const parsed = parseSettingsPatch(req.body);
    if (!parsed.ok) return replyError(reply, 'BAD_BODY', parsed.detail);
    let settings;
    try {
      // One atomic merge: changes of different fields from different nodes all hold.
      settings = settingsFrom((await rooms.broker.roomState.merge(room, SETTINGS_KEY, { ...parsed.patch })).value);
    } catch (err) {
      if (!(err instanceof BusUnavailableError)) throw err;
      req.log.warn({ room, code: 'SETTINGS_UNAVAILABLE' }, 'room settings not stored');
      return replyError(reply, 'SETTINGS_UNAVAILABLE');
    }
    // In force here before the answer; the other nodes get the store's announcement.
    rooms.applySettings(room, settings);
    req.log.info({ room, ...settings }, 'room settings changed');
    return settings;
  });

  app.post<{ Params: { room: string } }>('/api/rooms/:room/tokens', async (req, reply) => {
    const room = authorize(req, reply);
    if (room === null) return reply;
    const parsed = parseTokenRequest(req.body);
    if (!parsed.ok) return replyError(reply, 'BAD_BODY', parsed.detail);
    const { token, claims } = mintToken(deps.tokenKey, room, parsed.grants, parsed.ttlSeconds);
    req.log.info({ room, grants: claims.grants, ttlSeconds: parsed.ttlSeconds }, 'viewer token minted');
    return { token, grants: claims.grants, expiresAt: claims.expiresAt };
  });

  // Browsers hide why a WebSocket upgrade was refused: the viewer page asks here, with its token.
  app.post<{ Params: { room: string }; Body: { token?: unknown } }>('/api/rooms/:room/access', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const { room } = req.params;
    if (!isValidRoomName(room)) return replyError(reply, 'BAD_ROOM');
    const token = typeof req.body?.token === 'string' ? req.body.token : null;
    const verdict = await deps.access.authorizeRoomAccess(room, token, 'watch');
    if (!verdict.ok) {
      req.log.info({ room, code: verdict.code }, 'access check refused');
      return replyError(reply, verdict.code);
    }
    return { private: verdict.private, grants: verdict.grants };
  });
}

type TokenRequest = { ok: true; grants: Grant[]; ttlSeconds: number } | { ok: false; detail: string };

/** `{"grants": [...], "ttlSeconds": N}`, both optional (watch and chat, for a day); nothing else. */
export function parseTokenRequest(body: unknown): TokenRequest {
  if (body === undefined || body === null) return { ok: true, grants: DEFAULT_GRANTS, ttlSeconds: DEFAULT_TTL_SECONDS };
  if (typeof body !== 'object' || Array.isArray(body)) return { ok: false, detail: 'the body must be a JSON object' };
  let grants = DEFAULT_GRANTS;
  let ttlSeconds = DEFAULT_TTL_SECONDS;
  for (const [field, value] of Object.entries(body)) {
    if (field === 'grants') {
      if (!Array.isArray(value) || value.length === 0 || value.length > GRANTS.length || !value.every(isGrant) || new Set(value).size !== value.length) {
        return { ok: false, detail: `grants must be a list of distinct grants out of ${GRANTS.join(', ')}` };
      }
      grants = value;
    } else if (field === 'ttlSeconds') {
      if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_TOKEN_TTL_SECONDS) {
        return { ok: false, detail: `ttlSeconds must be an integer from 1 to ${MAX_TOKEN_TTL_SECONDS}` };
      }
      ttlSeconds = value as number;
    } else {
      return { ok: false, detail: `unknown field ${JSON.stringify(field.slice(0, 40))}` };
    }
  }
  return { ok: true, grants, ttlSeconds };
}
