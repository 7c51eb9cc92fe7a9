import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RoomAccess } from '../../core/room-access.js';
import type { RoomRegistry } from '../../core/room-registry.js';
import { isValidStreamKey } from '../../core/stream-key.js';
import { ErrorCodes, PROTOCOL_VERSION, isValidRoomName, type ErrorCode, type Limits } from '../../protocol/index.js';

export interface ApiDeps {
  rooms: RoomRegistry;
  /** A private room answers only to a token that grants `watch` (`token=`). */
  access: RoomAccess;
  secret: string;
  limits: Limits;
  qualities: readonly string[];
  /** Empty: pages connect to the same host on wsPort. `same-origin`: to the origin of the request. */
  publicWsUrl: string;
  /** Take scheme and host from X-Forwarded-Proto / X-Forwarded-Host (only behind your own proxy). */
  trustProxy?: boolean;
  wsPort: () => number;
  isReady: () => boolean;
}

export const SAME_ORIGIN = 'same-origin';
// A Host header is client input: only a plain host[:port] may go into the URL handed back.
export const HOST_RE = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * ws(s)://<the host the page was loaded from>: behind a proxy that forwards /ws/ to the
 * WebSocket port, pages connect to the one origin they came from. The answer depends on the
 * request, so it is never cached.
 */
function sameOriginWsUrl(req: FastifyRequest, reply: FastifyReply, trustProxy: boolean): string | null {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim() || undefined;
  const proto = (trustProxy && first(req.headers['x-forwarded-proto'])) || 'http';
  const host = (trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host || '';
  reply.header('cache-control', 'no-store');
  reply.header('vary', 'host, x-forwarded-host, x-forwarded-proto');
  if (!HOST_RE.test(host)) return null;
  return `${proto === 'https' ? 'wss' : 'ws'}://${host}`;
}

/** Answers with the catalog's status and body for `code`: one source for both. `detail` names what was wrong. */
export function replyError(reply: FastifyReply, code: ErrorCode, detail?: string): FastifyReply {
  const body: { error: ErrorCode; message: string; detail?: string } = { error: code, message: ErrorCodes[code].message };
  if (detail) body.detail = detail;
  return reply.code(ErrorCodes[code].status).send(body);
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { rooms } = deps;

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready through a bus outage, on purpose: the outage reaches every node at once, so taking them
  // out of the load balancer would stop the whole service, while each can still serve the rooms
  // whose broadcaster it holds. The body says so; beamcast_bus_up tells the dashboards.
  app.get('/readyz', async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'unavailable' });
    return { status: 'ready', bus: rooms.broker.up ? 'up' : 'down' };
  });

  app.get('/api/config', async (req, reply) => ({
    protocol: PROTOCOL_VERSION,
    wsUrl: deps.publicWsUrl === SAME_ORIGIN ? sameOriginWsUrl(req, reply, deps.trustProxy === true) : deps.publicWsUrl || null,
    wsPort: deps.wsPort(),
    qualities: deps.qualities,
    limits: deps.limits,
  }));

  app.get('/api/rooms', async () => {
    // Listed rooms of the whole cluster only: a name nobody has been live in is anyone's
    // invention, and a private room is shown to nobody.
    const list = await rooms.summaries();
    list.sort((a, b) => Number(b.live) - Number(a.live) || b.viewers - a.viewers || a.name.localeCompare(b.name));
    return { rooms: list };
  });

  app.get<{ Params: { room: string }; Querystring: { token?: string } }>('/api/rooms/:room', async (req, reply) => {
    const { room } = req.params;
    if (!isValidRoomName(room)) return replyError(reply, 'BAD_ROOM');
    const allowed = await deps.access.authorizeRoomAccess(room, typeof req.query.token === 'string' ? req.query.token : null, 'watch');
    if (!allowed.ok) return replyError(reply, allowed.code);
    const here = rooms.getPublic(room);
    if (here) return here.summary();
    const elsewhere = (await rooms.summaries()).find((s) => s.name === room);
    return elsewhere ?? replyError(reply, 'ROOM_NOT_FOUND');
  });

  // Lets the broadcaster page explain a refused connection: browsers hide the upgrade's status.
  app.post<{ Params: { room: string }; Body: { key?: unknown } }>('/api/rooms/:room/verify-key', async (req, reply) => {
    const { room } = req.params;
    if (!isValidRoomName(room)) return replyError(reply, 'BAD_ROOM');
    const key = typeof req.body?.key === 'string' ? req.body.key : undefined;
    if (!isValidStreamKey(deps.secret, room, key)) {
      req.log.info({ room, code: 'BAD_KEY' }, 'key check refused');
      return replyError(reply, 'BAD_KEY');
    }
    return { ok: true };
  });
}
