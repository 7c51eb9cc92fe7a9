import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { admit, refusalStatus, type Admitted, type AdmissionPolicy } from '../../core/admission.js';
import type { ConnectionLimiter } from '../../core/connection-limiter.js';
import type { Log } from '../../core/log.js';
import type { AccessVerdict, RoomAccess } from '../../core/room-access.js';
import type { RoomOptions } from '../../core/room-options.js';
import type { RoomRegistry } from '../../core/room-registry.js';
import { Session } from '../../core/session.js';
import type { CloseReason } from '../../core/telemetry.js';
import { CloseCodes, ErrorCodes, type ErrorCode } from '../../protocol/index.js';
import type { Uws } from './load-uws.js';
import { UwsPeer, type SocketData } from './uws-peer.js';
import { beamcastEncoder } from './beamcast-encoder.js';
import type { WsRoute } from './ws-route.js';

export interface WsServerOptions {
  uws: Uws;
  host: string;
  port: number;
  rooms: RoomRegistry;
  limiter: ConnectionLimiter;
  policy: AdmissionPolicy;
  /** Private rooms: whether a viewer's token lets it watch. */
  access: RoomAccess;
  roomOptions: RoomOptions;
  trustProxy: boolean;
  idleTimeoutSec: number;
  maxBackpressure: number;
  log: Log;
  /** Other endpoints on the same port (the Pusher protocol's /app/:key). */
  routes?: readonly WsRoute[];
}

export interface WsServer {
  readonly port: number;
  readonly connections: number;
  /** Bytes queued in user space across all sockets: what slow consumers cost right now. */
  bufferedBytes(): number;
  /** Stops accepting and closes every socket with the reconnect-range shutdown code. */
  close(): void;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

type ListenCallback = (listenSocket: us_listen_socket | false) => void;

// The native listen takes (host, port, options, cb); the bundled typings only declare it without a host.
function listenExclusive(app: TemplatedApp, host: string, port: number, cb: ListenCallback): void {
  const native = app as unknown as { listen(h: string, p: number, o: number, c: ListenCallback): void };
  native.listen(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, cb);
}

const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

// uWS closes a socket itself, without a close frame (RFC 6455 cannot carry 1006), when a message
// is over maxPayloadLength or a text message is not UTF-8; its close handler then gets 1006 and
// one of these reasons. Both are the server's refusals, not the client leaving.
const UWS_CLOSE_REASONS = new Map<string, CloseReason>([
  ['Received too big message', 'too_large'],
  ['Received invalid UTF-8', 'invalid_utf8'],
]);

export function startWsServer(opts: WsServerOptions): Promise<WsServer> {
  const { uws, rooms, limiter, policy, access, roomOptions, log } = opts;
  const routes = opts.routes ?? [];
  const peers = new Set<UwsPeer>();
  const app: TemplatedApp = uws.App();
  const { maxMessageBytes } = roomOptions.limits;

  app.ws<SocketData>('/ws/:room', {
    // Up to maxMessageBytes the session answers with an error code (FRAME_TOO_LARGE, ...) and the
    // connection stays; up to twice that it is read and closed with a 1009 close frame a browser
    // can see. Beyond, uWS stops reading and drops the connection: no close frame (clients see 1006).
    maxPayloadLength: maxMessageBytes * 2,
    idleTimeout: opts.idleTimeoutSec,
    sendPingsAutomatically: true,
    maxBackpressure: opts.maxBackpressure,
    closeOnBackpressureLimit: 0,
    compression: uws.DISABLED,

    upgrade(res: HttpResponse, req: HttpRequest, context) {
      // uWS req is stack-allocated: everything needed is copied out here, before any other work.
      const room = req.getParameter(0) ?? '';
      const query = new URLSearchParams(req.getQuery() ?? '');
      const origin = req.getHeader('origin');
      const wsVersion = req.getHeader('sec-websocket-version');
      const secKey = req.getHeader('sec-websocket-key');
      const secProtocol = req.getHeader('sec-websocket-protocol');
      const secExtensions = req.getHeader('sec-websocket-extensions');
      const forwarded = opts.trustProxy ? req.getHeader('x-forwarded-for').split(',')[0]!.trim() : '';
      const address = forwarded || Buffer.from(res.getRemoteAddressAsText()).toString();

      const refuse = (code: ErrorCode) => {
        const status = refusalStatus(code);
        roomOptions.telemetry.connectionRefused(code);
        log.info({ room: room.slice(0, 80), address, code }, 'upgrade refused');
        res.writeStatus(`${status} ${STATUS_TEXT[status] ?? 'Error'}`);
        if (code === 'UNSUPPORTED_WS_VERSION') res.writeHeader('sec-websocket-version', '13');
        res.writeHeader('content-type', 'application/json').end(JSON.stringify({ error: code, message: ErrorCodes[code].message }));
      };
      const verdict = admit({ room, query, origin, address, wsVersion }, policy, rooms, limiter);
      if (!verdict.ok) return refuse(verdict.code);
      // From here the address holds a connection slot: every refusal gives it back.
      const finish = (admitted: Admitted, v: AccessVerdict) => {
        if (!v.ok) {
          limiter.release(address);
          return refuse(v.code);
        }
        const data: Admitted = { ...admitted, tokenGrants: v.tokenGrants, tokenError: v.tokenError };
        // Only `peer` goes into the user data: uWS copies every property onto each socket.
        res.upgrade<SocketData>({ peer: new UwsPeer(address, data) }, secKey, secProtocol, secExtensions, context);
      };
      if (verdict.role === 'broadcaster') {
        res.upgrade<SocketData>({ peer: new UwsPeer(address, verdict) }, secKey, secProtocol, secExtensions, context);
        return;
      }
      // A viewer of a private room needs a token that grants `watch`. Known at once for a room held
      // here; otherwise the shared store says, and the answer is written when it comes.
      const now = access.authorizeNow(room, verdict.token, 'watch');
      if (now) return finish(verdict, now);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
        limiter.release(address);
      });
      const answer = (v: AccessVerdict) => {
        if (!aborted) res.cork(() => finish(verdict, v));
      };
      access.authorizeRoomAccess(room, verdict.token, 'watch').then(answer, () => answer({ ok: false, code: 'SETTINGS_UNAVAILABLE' }));
    },

    open(ws) {
      const peer = ws.getUserData().peer;
      const data = peer.admitted!;
      peer.admitted = null;
      peer.ws = ws;
      peers.add(peer);
      const room = rooms.getOrCreate(data.room);
      const session = new Session(
        peer,
        {
          room,
          peer,
          role: data.role,
          name: data.name,
          quality: data.quality,
          since: data.since,
          log,
          encoder: beamcastEncoder,
          tokenGrants: data.tokenGrants,
          tokenError: data.tokenError,
        },
        roomOptions,
      );
      peer.session = session;
      session.start();
    },

    message(ws, message, isBinary) {
      // `message` is freed when this handler returns; the session copies what it keeps.
      ws.getUserData().peer.session?.onMessage(new Uint8Array(message), isBinary);
    },

    close(ws, code, message) {
      const peer = ws.getUserData().peer;
      peer.closed = true;
      peers.delete(peer);
      limiter.release(peer.address);
      const uwsReason = code === 1006 ? UWS_CLOSE_REASONS.get(Buffer.from(message).toString()) : undefined;
      peer.session?.end(code, uwsReason);
    },
  });

  for (const route of routes) route.register(app);
  app.any('/*', (res) => {
    res.writeStatus('426 Upgrade Required').writeHeader('content-type', 'text/plain').end('WebSocket endpoint: /ws/:room\n');
  });

  return new Promise((resolve, reject) => {
    // Exclusive port: without it this uWS build sets SO_REUSEPORT on fixed ports, so a second
    // server on the same port would start silently and the kernel would split clients between them.
    listenExclusive(app, opts.host, opts.port, (listenSocket: us_listen_socket | false) => {
      if (!listenSocket) {
        for (const route of routes) route.close();
        reject(new Error(`WebSocket server could not listen on ${opts.host}:${opts.port}`));
        return;
      }
      const port = uws.us_socket_local_port(listenSocket);
      let listening: us_listen_socket | null = listenSocket;
      resolve({
        port,
        get connections() {
          return peers.size + routes.reduce((n, r) => n + r.connections, 0);
        },
        bufferedBytes() {
          let total = 0;
          for (const peer of peers) if (!peer.closed) total += peer.bufferedAmount();
          for (const route of routes) total += route.bufferedBytes();
          return total;
        },
        close() {
          if (listening) uws.us_listen_socket_close(listening);
          listening = null;
          const { code, reason } = CloseCodes.SERVER_SHUTDOWN;
          for (const peer of [...peers]) {
            peer.session?.closeWith('shutdown', CloseCodes.SERVER_SHUTDOWN);
            peer.close(code, reason);
          }
          for (const route of routes) route.close();
        },
      });
    });
  });
}
