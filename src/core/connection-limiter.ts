import { addressKey } from './address-key.js';

/**
 * Counts long-lived connections (WebSockets and MJPEG streams alike) per client address, keyed by
 * `addressKey` so both transports count the same client once; a limit of 0 means unlimited.
 */
export class ConnectionLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  tryAcquire(address: string): boolean {
    const key = addressKey(address);
    const n = this.counts.get(key) ?? 0;
    if (this.maxPerAddress > 0 && n >= this.maxPerAddress) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(address: string): void {
    const key = addressKey(address);
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  get addresses(): number {
    return this.counts.size;
  }
}
