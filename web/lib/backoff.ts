/**
 * Reconnect delays for live video, reset after a good connection:
 * - the first retry comes after 250–750 ms: a restarting server is usually back by then, and the
 *   random spread keeps its viewers from all arriving in the same instant;
 * - then the wait doubles from `minMs` up to a cap of a second (each wait half fixed, half
 *   random), so a page is back within about a second of its server, however long it was down.
 *   Attempts against a server that is down cost it nothing (a refused TCP connection), and the
 *   jitter spreads the returning viewers over the last interval.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly first: readonly [number, number] = [250, 750],
    private readonly minMs = 500,
    private readonly maxMs = 1000,
  ) {}

  get attempts(): number {
    return this.attempt;
  }

  next(random = Math.random()): number {
    const n = this.attempt++;
    if (n === 0) return Math.round(this.first[0] + random * (this.first[1] - this.first[0]));
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** (n - 1));
    return Math.round(ceiling / 2 + random * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
