import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ConnectionLimiter } from '../../core/connection-limiter.js';
import type { RoomAccess } from '../../core/room-access.js';
import type { Room } from '../../core/room.js';
import type { RoomRegistry } from '../../core/room-registry.js';
import { isValidRoomName, readFrameHeader, type ErrorCode } from '../../protocol/index.js';
import { replyError } from './api-routes.js';
import { MjpegSink, writeMjpegHead } from './mjpeg-sink.js';
import { embeddable } from './security-headers.js';

export interface MediaRouteDeps {
  rooms: RoomRegistry;
  qualities: readonly string[];
  /** Newest frame (header + JPEG) of a tier, encoding it now if needed; null when there is none. */
  currentFrame(room: Room, quality: string): Promise<Uint8Array | null>;
  /** Shared with the WebSocket transport: an MJPEG stream is a long-lived connection too. */
  limiter: ConnectionLimiter;
  /** Private rooms: snapshots and streams need a token that grants `watch` (`token=`). */
  access: RoomAccess;
  /** An MJPEG client that leaves a part unsent this long is closed (HTTP_IDLE_TIMEOUT). */
  stallMs: number;
}

/** What the MJPEG streams hold right now, for gauges, tests and benchmarks. */
export interface MjpegStreams {
  readonly count: number;
  /** Unsent bytes in user space, per stream. */
  buffered(): number[];
}

type MediaRequest = { Params: { room: string }; Querystring: { quality?: string; token?: string } };
type Target = { room: Room; quality: string; canWatchPrivate: boolean };

/**
 * `GET /api/rooms/:room/snapshot.jpg` and `GET /api/rooms/:room/stream.mjpg`, both with
 * `?quality=` (default: the first tier, `source`).
 */
export function registerMediaRoutes(app: FastifyInstance, deps: MediaRouteDeps): MjpegStreams {
  const { rooms, limiter } = deps;
  const streams = new Set<MjpegSink>();

  const resolve = async (req: { params: { room: string }; query: { quality?: string; token?: string } }): Promise<Target | ErrorCode> => {
    const quality = req.query.quality || deps.qualities[0]!;
    if (!isValidRoomName(req.params.room)) return 'BAD_ROOM';
    if (!deps.qualities.includes(quality)) return 'BAD_QUALITY';
    const token = typeof req.query.token === 'string' ? req.query.token : null;
    const allowed = await deps.access.authorizeRoomAccess(req.params.room, token, 'watch');
    if (!allowed.ok) return allowed.code;
    // A room nobody has been live in yet is a name someone made up, as far as the public knows.
    // One live on another node is served from here too.
    const room = await rooms.findPublic(req.params.room);
    return room ? { room, quality, canWatchPrivate: allowed.tokenGrants?.includes('watch') ?? false } : 'ROOM_NOT_FOUND';
  };
  const fail = (reply: FastifyReply, code: ErrorCode) => {
    return replyError(reply.header('cache-control', 'no-cache'), code);
  };
  /** Takes the address's stream slot, or answers the refusal; true when the stream may go on. */
  const takeSlot = (address: string, reply: FastifyReply): boolean => {
    const slot = limiter.acquire(address);
    if (slot === 'ok') return true;
    const code = slot === 'too_many' ? 'TOO_MANY_CONNECTIONS' : 'CONNECTING_TOO_FAST';
    reply.log.info({ address, code }, 'mjpeg stream refused');
    if (slot === 'too_fast') reply.header('retry-after', String(limiter.retryAfterSec()));
    void fail(reply, code);
    return false;
  };

  // Other sites may show snapshots and streams in an <img>.
  app.get<MediaRequest>('/api/rooms/:room/snapshot.jpg', { helmet: embeddable }, async (req, reply) => {
    const target = await resolve(req);
    if (typeof target === 'string') return fail(reply, target);
    const frame = await deps.currentFrame(target.room, target.quality);
    if (!frame) return fail(reply, 'NO_FRAME');
    const h = readFrameHeader(frame);
    const relayedAt = Math.floor(h.relayedAt);
    const etag = `"${target.quality}-${relayedAt.toString(36)}-${h.seq.toString(36)}"`;
    const lastModified = new Date(relayedAt).toUTCString();
    reply
      .header('etag', etag)
      .header('last-modified', lastModified)
      // Clients may keep it but must ask again: the next frame is usually a fraction of a second away.
      .header('cache-control', 'no-cache')
      .header('x-frame-seq', String(h.seq))
      .header('x-captured-at', String(h.capturedAt));
    if (notModified(req.headers['if-none-match'], req.headers['if-modified-since'], etag, relayedAt)) {
      return reply.code(304).send();
    }
    const jpeg = Buffer.from(frame.buffer, frame.byteOffset + h.headerLen, frame.length - h.headerLen);
    return reply.type('image/jpeg').send(jpeg);
  });

  // No HEAD route: a HEAD request must not become a viewer that never ends.
  app.get<MediaRequest>('/api/rooms/:room/stream.mjpg', { exposeHeadRoute: false, helmet: embeddable }, async (req, reply) => {
    const target = await resolve(req);
    if (typeof target === 'string') return fail(reply, target);
    const { room, quality, canWatchPrivate } = target;
    if (!room.live) {
      // Offline: the last picture as a one-part stream, so an <img> still shows something.
      const frame = await deps.currentFrame(room, quality);
      if (!frame) return fail(reply, 'NO_FRAME');
      if (!takeSlot(req.ip, reply)) return reply;
      reply.hijack();
      reply.raw.once('close', () => limiter.release(req.ip));
      writeMjpegHead(reply.raw);
      const once = new MjpegSink(reply.raw, () => {}, deps.stallMs);
      once.sendFrame(frame);
      once.onOffline();
      return reply;
    }
    if (room.isFull) return fail(reply, 'ROOM_FULL');
    if (!takeSlot(req.ip, reply)) return reply;
    reply.hijack();
    const res = reply.raw;
    // The slot is held while the socket is: a client that stops reading keeps it until it is closed.
    res.once('close', () => limiter.release(req.ip));
    writeMjpegHead(res);
    const log = req.log.child({ room: room.name, quality, mjpeg: true });
    const sink = new MjpegSink(
      res,
      () => {
        streams.delete(sink);
        room.removeViewerSink(sink);
        log.info({ frames: sink.frames, stalled: sink.stalled }, 'mjpeg stream ended');
      },
      deps.stallMs,
      canWatchPrivate,
    );
    streams.add(sink);
    log.info('mjpeg stream started');
    room.addViewerSink(quality, sink);
    return reply;
  });

  // Streams end with their closing boundary before the server drops connections.
  app.addHook('preClose', async () => {
    for (const sink of [...streams]) sink.onOffline();
  });

  return {
    get count() {
      return streams.size;
    },
    buffered: () => [...streams].map((s) => s.queuedBytes),
  };
}

/** RFC 9110: If-None-Match wins over If-Modified-Since; dates compare at one-second precision. */
export function notModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, etag: string, modifiedAt: number): boolean {
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((t) => t === '*' || t === etag);
  }
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return Number.isFinite(since) && Math.floor(modifiedAt / 1000) * 1000 <= since;
  }
  return false;
}
