import type { WebSocket } from 'uWebSockets.js';
import type { Peer, SendResult } from '../../core/peer.js';
import type { PusherErrorName } from '../../protocol/pusher/codes.js';
import type { PusherConnection } from './pusher-connection.js';

/** What the upgrade decided, for `open` to act on. */
export interface PusherAdmission {
  key: string;
  origin: string;
  address: string;
  /** Refused before a connection exists: `open` sends this error and closes with its code. */
  refusal: PusherErrorName | null;
  /** A connection slot of the address was taken (released on close). */
  slot: boolean;
}

// As for our own route: this uWS build copies the user data's properties onto the socket, so
// the peer travels as a property.
export interface PusherSocketData {
  peer: PusherPeer;
}

/** A Pusher connection's uWS socket. Every call is guarded by `closed`: uWS throws on a closed socket. */
export class PusherPeer implements Peer {
  ws: WebSocket<PusherSocketData> | null = null;
  conn: PusherConnection | null = null;
  closed = false;

  constructor(readonly admission: PusherAdmission) {}

  sendText(text: string): SendResult {
    if (this.closed || !this.ws) return 'dropped';
    const r = this.ws.send(text, false, false);
    return r === 1 ? 'sent' : r === 0 ? 'buffered' : 'dropped';
  }

  /** Pusher connections take no video. */
  sendFrame(): void {}

  bufferedAmount(): number {
    return this.closed || !this.ws ? Number.MAX_SAFE_INTEGER : this.ws.getBufferedAmount();
  }

  close(code: number, reason: string): void {
    if (this.closed || !this.ws) return;
    this.closed = true;
    this.ws.end(code, reason);
  }
}
