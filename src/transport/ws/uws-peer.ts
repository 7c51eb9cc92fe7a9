import type { WebSocket } from 'uWebSockets.js';
import type { Peer, SendResult } from '../../core/peer.js';
import type { Admitted } from '../../core/admission.js';
import type { Session } from '../../core/session.js';

// This uWS build copies the user data's own properties onto its WebSocket object (getUserData()
// returns the socket, not the object given to upgrade), so class instances cannot be the user
// data: the peer travels as a property.
export interface SocketData {
  peer: UwsPeer;
}

/**
 * Peer over a uWS WebSocket.
 *
 * Corking: uWS corks a socket while its own handlers (open, message) run, which covers the one
 * place several messages go to one socket together (welcome, history and the cached frame on
 * open). Writes from timers and encoders (presence, recompressed tiers) are one message per
 * socket, so corking them would save no syscall. uWS throws on any access to a closed socket, so every call is
 * guarded by `closed`, which the close handler sets before anything else runs.
 */
export class UwsPeer implements Peer {
  ws: WebSocket<SocketData> | null = null;
  session: Session | null = null;
  closed = false;

  constructor(
    readonly address: string,
    /** What the upgrade admitted, until `open` turns it into a session (then null). */
    public admitted: Admitted | null,
  ) {}

  sendText(json: string): SendResult {
    if (this.closed || !this.ws) return 'dropped';
    const r = this.ws.send(json, false, false);
    return r === 1 ? 'sent' : r === 0 ? 'buffered' : 'dropped';
  }

  sendFrame(frame: Uint8Array): void {
    if (!this.closed && this.ws) this.ws.send(frame, true, false);
  }

  bufferedAmount(): number {
    return this.closed || !this.ws ? Number.MAX_SAFE_INTEGER : this.ws.getBufferedAmount();
  }

  close(code: number, reason: string): void {
    if (this.closed || !this.ws) return;
    this.closed = true;
    this.ws.end(code, reason);
  }
}
