import type { FastifyInstance } from 'fastify';
import type { RoomRegistry } from '../../core/room-registry.js';
import { isValidStreamKey } from '../../core/stream-key.js';
import { ErrorCodes, PROTOCOL_VERSION, isValidRoomName, type ErrorCode, type Limits } from '../../protocol/index.js';

export interface ApiDeps {
  rooms: RoomRegistry;
  secret: string;
  limits: Limits;
  qualities: readonly string[];
  /** Empty: pages connect to the same host on wsPort. */
  publicWsUrl: string;
  wsPort: () => number;
  isReady: () => boolean;
}

export function sendError(code: ErrorCode) {
  return { error: code, message: ErrorCodes[code].message };
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { rooms } = deps;

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'unavailable' });
    return { status: 'ready' };
  });

  app.get('/api/config', async () => ({
    protocol: PROTOCOL_VERSION,
    wsUrl: deps.publicWsUrl || null,
    wsPort: deps.wsPort(),
    qualities: deps.qualities,
    limits: deps.limits,
  }));

  app.get('/api/rooms', async () => {
    const now = Date.now();
    const list = rooms.list().map((r) => r.summary(now));
    list.sort((a, b) => Number(b.live) - Number(a.live) || b.viewers - a.viewers || a.name.localeCompare(b.name));
    return { rooms: list };
  });

  app.get<{ Params: { room: string } }>('/api/rooms/:room', async (req, reply) => {
    const { room } = req.params;
    if (!isValidRoomName(room)) return reply.code(400).send(sendError('BAD_ROOM'));
    const r = rooms.get(room);
    if (!r) return reply.code(404).send(sendError('ROOM_NOT_FOUND'));
    return r.summary();
  });

  // Lets the broadcaster page explain a refused connection: browsers hide the upgrade's status.
  app.post<{ Params: { room: string }; Body: { key?: unknown } }>('/api/rooms/:room/verify-key', async (req, reply) => {
    const { room } = req.params;
    if (!isValidRoomName(room)) return reply.code(400).send(sendError('BAD_ROOM'));
    const key = typeof req.body?.key === 'string' ? req.body.key : undefined;
    if (!isValidStreamKey(deps.secret, room, key)) return reply.code(401).send(sendError('BAD_KEY'));
    return { ok: true };
  });
}
