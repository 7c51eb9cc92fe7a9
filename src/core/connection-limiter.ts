import { addressKey } from './address-key.js';

export type Acquired = 'ok' | 'too_many' | 'too_fast';

interface PerAddress {
  open: number;
  /** New-connection budget: a token bucket refilled at `connectRate` per second up to `connectBurst`. */
  tokens: number;
  at: number;
}

/**
 * Long-lived connections (WebSockets and MJPEG streams alike) per client address, keyed by
 * `addressKey` so both transports count the same client once: how many are open
 * (`maxPerAddress`), and how fast new ones are opened (`connectRate` per second, `connectBurst`
 * at once). The rate matters because every new connection costs the server a welcome and a page
 * of chat history, and per-connection budgets start full: a client that reconnects in a loop
 * would otherwise get a fresh budget every time. A limit of 0 means unlimited.
 */
export class ConnectionLimiter {
  private readonly byAddress = new Map<string, PerAddress>();

  constructor(
    private readonly maxPerAddress: number,
    private readonly connectRate = 0,
    private readonly connectBurst = 0,
  ) {}

  tryAcquire(address: string, now = Date.now()): boolean {
    return this.acquire(address, now) === 'ok';
  }

  /** Takes a connection slot for the address, or says why not. */
  acquire(address: string, now = Date.now()): Acquired {
    const key = addressKey(address);
    let a = this.byAddress.get(key);
    if (!a) {
      a = { open: 0, tokens: this.connectBurst, at: now };
      this.byAddress.set(key, a);
    }
    if (this.maxPerAddress > 0 && a.open >= this.maxPerAddress) return 'too_many';
    if (this.connectRate > 0) {
      this.refill(a, now);
      if (a.tokens < 1) return 'too_fast';
      a.tokens -= 1;
    }
    a.open++;
    return 'ok';
  }

  release(address: string, now = Date.now()): void {
    const key = addressKey(address);
    const a = this.byAddress.get(key);
    if (!a) return;
    a.open = Math.max(0, a.open - 1);
    this.forgetIfIdle(key, a, now);
  }

  /** Seconds until a connection refused as `too_fast` would be accepted (for Retry-After). */
  retryAfterSec(): number {
    return this.connectRate > 0 ? Math.max(1, Math.ceil(1 / this.connectRate)) : 1;
  }

  /**
   * Forgets addresses with nothing open whose budget has refilled: a full bucket is what a new
   * entry starts with, so nothing is lost. Call it now and then.
   */
  sweep(now = Date.now()): void {
    for (const [key, a] of this.byAddress) this.forgetIfIdle(key, a, now);
  }

  /** Addresses tracked (with connections open, or a budget still refilling). */
  get addresses(): number {
    return this.byAddress.size;
  }

  private refill(a: PerAddress, now: number): void {
    const elapsed = now - a.at;
    if (elapsed > 0) {
      a.tokens = Math.min(this.connectBurst, a.tokens + (elapsed * this.connectRate) / 1000);
      a.at = now;
    }
  }

  private forgetIfIdle(key: string, a: PerAddress, now: number): void {
    if (a.open > 0) return;
    if (this.connectRate > 0) {
      this.refill(a, now);
      if (a.tokens < this.connectBurst) return;
    }
    this.byAddress.delete(key);
  }
}
