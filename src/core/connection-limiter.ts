/** Counts open connections per client address; a limit of 0 means unlimited. */
export class ConnectionLimiter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  tryAcquire(address: string): boolean {
    const n = this.counts.get(address) ?? 0;
    if (this.maxPerAddress > 0 && n >= this.maxPerAddress) return false;
    this.counts.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = this.counts.get(address) ?? 0;
    if (n <= 1) this.counts.delete(address);
    else this.counts.set(address, n - 1);
  }

  get addresses(): number {
    return this.counts.size;
  }
}
