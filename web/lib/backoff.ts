/** Exponential backoff with full jitter between `minMs` and a cap, reset after a good connection. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs = 500,
    private readonly maxMs = 10_000,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt++;
    // Half fixed, half random: quick first retries, yet a restarted server is not hit by everyone at once.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
