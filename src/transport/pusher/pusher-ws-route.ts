import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { ConnectionLimiter } from '../../core/connection-limiter.js';
import type { PusherErrorName } from '../../protocol/pusher/codes.js';
import { pusherError } from '../../protocol/pusher/server-messages.js';
import { PusherErrorCodes } from '../../protocol/pusher/codes.js';
import type { Uws } from '../ws/load-uws.js';
import type { WsRoute } from '../ws/ws-route.js';
import type { PusherAppDirectory } from './pusher-app-directory.js';
import { PusherConnection, type PusherConnectionDeps } from './pusher-connection.js';
import { PusherPeer, type PusherSocketData } from './pusher-peer.js';

export interface PusherWsRouteOptions extends PusherConnectionDeps {
  uws: Uws;
  directory: PusherAppDirectory;
  limiter: ConnectionLimiter;
  isDraining(): boolean;
  trustProxy: boolean;
  idleTimeoutSec: number;
  maxBackpressure: number;
}

// How often every connection's liveness is looked at (one timer for all, not one per connection).
const TICK_MS = 1000;

/**
 * WebSocket `/app/:key` on our uWS app, Pusher protocol 7. A refused client is still upgraded:
 * pusher-js decides what to do from the `pusher:error` and the close code it then gets (give up,
 * back off, retry), never from an HTTP status, so refusals are sent that way.
 */
export function pusherWsRoute(opts: PusherWsRouteOptions): WsRoute {
  const { uws, directory, limiter, telemetry, log } = opts;
  const peers = new Set<PusherPeer>();
  let ticker: NodeJS.Timeout | null = null;

  const refusal = (key: string, protocol: string | null, origin: string): PusherErrorName | null => {
    const app = directory.byKey(key);
    if (!app) return 'APP_NOT_FOUND';
    if (!app.enabled) return 'APP_DISABLED';
    if (protocol !== '7') return 'UNSUPPORTED_PROTOCOL';
    if (!directory.originAllowed(app, origin)) return 'ORIGIN_NOT_ALLOWED';
    // Draining: back off and come back (through the balancer, to another node).
    if (opts.isDraining()) return 'OVER_CAPACITY';
    return null;
  };

  return {
    register(app: TemplatedApp) {
      app.ws<PusherSocketData>('/app/:key', {
        // Up to max_message_size a message is answered (4304 when over the app's own limit);
        // beyond twice the largest, uWS drops the connection unread.
        maxPayloadLength: directory.maxMessageSize * 2,
        idleTimeout: opts.idleTimeoutSec,
        sendPingsAutomatically: true,
        maxBackpressure: opts.maxBackpressure,
        closeOnBackpressureLimit: 0,
        compression: uws.DISABLED,

        upgrade(res: HttpResponse, req: HttpRequest, context) {
          // uWS req is stack-allocated: everything needed is copied out here, before any other work.
          const key = req.getParameter(0) ?? '';
          const protocol = new URLSearchParams(req.getQuery() ?? '').get('protocol');
          const origin = req.getHeader('origin');
          const wsVersion = req.getHeader('sec-websocket-version');
          const secKey = req.getHeader('sec-websocket-key');
          const secProtocol = req.getHeader('sec-websocket-protocol');
          const secExtensions = req.getHeader('sec-websocket-extensions');
          const forwarded = opts.trustProxy ? req.getHeader('x-forwarded-for').split(',')[0]!.trim() : '';
          const address = forwarded || Buffer.from(res.getRemoteAddressAsText()).toString();
          if (wsVersion !== '13') {
            res.writeStatus('426 Upgrade Required').writeHeader('sec-websocket-version', '13').end();
            return;
          }
          let refused = refusal(key, protocol, origin);
          const slot = refused === null && limiter.tryAcquire(address);
          if (refused === null && !slot) refused = 'OVER_CAPACITY';
          const peer = new PusherPeer({ key, origin, address, refusal: refused, slot });
          res.upgrade<PusherSocketData>({ peer }, secKey, secProtocol, secExtensions, context);
        },

        open(ws) {
          const peer = ws.getUserData().peer;
          peer.ws = ws;
          peers.add(peer);
          const { refusal: refused, key, address } = peer.admission;
          if (refused) {
            telemetry.connectionRefused(refused);
            log.info({ key: key.slice(0, 64), address, code: PusherErrorCodes[refused].code, reason: refused }, 'pusher connection refused');
            peer.sendText(pusherError(refused));
            peer.close(PusherErrorCodes[refused].code, PusherErrorCodes[refused].message);
            return;
          }
          const conn = new PusherConnection(peer, directory.byKey(key)!, opts);
          peer.conn = conn;
          conn.start();
        },

        message(ws, message, isBinary) {
          // `message` is freed when this handler returns: the connection reads it synchronously.
          ws.getUserData().peer.conn?.onMessage(new Uint8Array(message), isBinary);
        },

        close(ws, code) {
          const peer = ws.getUserData().peer;
          peer.closed = true;
          peers.delete(peer);
          if (peer.admission.slot) limiter.release(peer.admission.address);
          peer.conn?.end(code);
        },
      });
      ticker = setInterval(() => {
        const now = Date.now();
        for (const peer of peers) peer.conn?.tick(now);
      }, TICK_MS);
      ticker.unref();
    },

    get connections() {
      return peers.size;
    },

    bufferedBytes() {
      let total = 0;
      for (const peer of peers) if (!peer.closed) total += peer.bufferedAmount();
      return total;
    },

    close() {
      if (ticker) clearInterval(ticker);
      ticker = null;
      for (const peer of [...peers]) {
        if (peer.conn) peer.conn.shutdown();
        else peer.close(PusherErrorCodes.SHUTTING_DOWN.code, PusherErrorCodes.SHUTTING_DOWN.message);
      }
    },
  };
}
