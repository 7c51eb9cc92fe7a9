export type ActivityVerdict = 'ok' | 'ping' | 'PONG_NOT_RECEIVED' | 'INACTIVE';

/**
 * A connection's liveness, checked by the server: after `intervalMs` of silence from the client
 * the server sends pusher:ping; when the next `intervalMs` pass silent too, the connection goes:
 * with 4201 (pong not received) if the client has used pusher:ping or pusher:pong before, else
 * with 4202 (closed after inactivity: a client that never showed it speaks ping at all).
 * Any message from the client counts as activity, as pusher-js counts any message from us.
 */
export class ActivityClock {
  private lastSeen: number;
  private pingSentAt: number | null = null;
  private spokePing = false;

  constructor(
    private readonly intervalMs: number,
    now: number,
  ) {
    this.lastSeen = now;
  }

  /** The client sent something; `ping`: a pusher:ping or pusher:pong. */
  heard(now: number, ping: boolean): void {
    this.lastSeen = now;
    this.pingSentAt = null;
    if (ping) this.spokePing = true;
  }

  /** What to do now: nothing, send a ping (counted as sent), or close with a code. */
  check(now: number): ActivityVerdict {
    if (this.pingSentAt === null) {
      if (now - this.lastSeen < this.intervalMs) return 'ok';
      this.pingSentAt = now;
      return 'ping';
    }
    if (now - this.pingSentAt < this.intervalMs) return 'ok';
    return this.spokePing ? 'PONG_NOT_RECEIVED' : 'INACTIVE';
  }
}
