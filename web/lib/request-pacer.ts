/**
 * The client's copy of its connection's request budget (`welcome.limits.requestRatePerSec` and
 * `requestBurst`, costs from REQUEST_COSTS), so requests it makes on its own, like history pages,
 * wait until the server would accept them instead of being refused.
 */
export class RequestPacer {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Counts a request that was sent. */
  spend(cost: number, now: number): void {
    this.refill(now);
    this.tokens -= cost;
  }

  /** Milliseconds until a request of this cost fits the budget; 0: now. */
  waitMs(cost: number, now: number): number {
    this.refill(now);
    // A little slack: the server's clock started earlier and its refills round the other way.
    const missing = cost + 0.5 - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) * this.ratePerSec) / 1000);
    this.last = now;
  }
}
