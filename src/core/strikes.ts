// Invalid input beyond this many strikes in the window closes the connection (4500).
export const STRIKE_WINDOW_MS = 10_000;
export const MAX_STRIKES = 20;
// Messages over a rate limit are refused; beyond this many in one window each is also a strike,
// so a flood ends with 4500 while a fast typist who hits the limit now and then stays.
export const RATE_GRACE = 10;

/** One connection's misbehaviour, counted per window of STRIKE_WINDOW_MS. */
export class Strikes {
  private strikes = 0;
  private overRate = 0;
  private windowStart = 0;

  get count(): number {
    return this.strikes;
  }

  /** Counts an invalid message; true when the connection has had too many and must be closed. */
  strike(now: number): boolean {
    this.roll(now);
    return ++this.strikes > MAX_STRIKES;
  }

  /** Counts a message over a rate limit; true when it was a strike too many. */
  overLimit(now: number): boolean {
    this.roll(now);
    return ++this.overRate > RATE_GRACE && this.strike(now);
  }

  private roll(now: number): void {
    if (now - this.windowStart <= STRIKE_WINDOW_MS) return;
    this.windowStart = now;
    this.strikes = 0;
    this.overRate = 0;
  }
}
