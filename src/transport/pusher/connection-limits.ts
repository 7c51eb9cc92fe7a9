import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import { Strikes } from '../../core/strikes.js';
import { TokenBucket } from '../../core/token-bucket.js';

// Subscribing costs the server bus work (a subscription, counts) that costs the client one
// message: at most this many per second, with a connection's whole channel allowance at once
// (pusher-js subscribes every channel of a page right after connecting).
export const SUBSCRIBE_RATE = 10;

/**
 * What one connection may do per second, by the app's settings, and its misbehaviour. Buckets
 * are made on first use: most connections never send a client event.
 */
export class ConnectionLimits {
  private clientEvents: TokenBucket | null = null;
  private messages: TokenBucket | null = null;
  private subscribes: TokenBucket | null = null;
  private strikes: Strikes | null = null;

  constructor(
    private readonly app: PusherApp,
    private readonly maxChannels: number,
  ) {}

  get strikeCount(): number {
    return this.strikes?.count ?? 0;
  }

  /** A client event within `max_client_events_per_sec` (burst: one second's worth). */
  clientEvent(now: number): boolean {
    const rate = this.app.maxClientEventsPerSecond;
    return rate === null || (this.clientEvents ??= new TokenBucket(rate, rate, now)).take(now);
  }

  /** A message within Reverb's `rate_limiting` (when the app sets it). */
  message(now: number): boolean {
    const limit = this.app.messageRateLimit;
    if (!limit) return true;
    return (this.messages ??= new TokenBucket(limit.maxAttempts / limit.decaySeconds, limit.maxAttempts, now)).take(now);
  }

  subscribe(now: number): boolean {
    return (this.subscribes ??= new TokenBucket(SUBSCRIBE_RATE, this.maxChannels, now)).take(now);
  }

  /** An invalid message; true when there were too many and the connection must go. */
  strike(now: number): boolean {
    return (this.strikes ??= new Strikes()).strike(now);
  }

  /** A message over a rate; true when a flood of them must end the connection. */
  overLimit(now: number): boolean {
    return (this.strikes ??= new Strikes()).overLimit(now);
  }
}
