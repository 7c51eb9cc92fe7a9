/**
 * Estimates server clock − local clock from ping/pong pairs. The sample with the shortest round
 * trip among the recent ones bounds the error best (NTP's rule), so it wins.
 */
export class ClockOffset {
  private samples: { rtt: number; offset: number }[] = [];
  private best: { rtt: number; offset: number } | null = null;

  constructor(private readonly keep = 8) {}

  /** `sentAt` and `receivedAt` are local `Date.now()` values around the server's `serverTime`. */
  add(sentAt: number, serverTime: number, receivedAt: number): void {
    const rtt = Math.max(0, receivedAt - sentAt);
    this.samples.push({ rtt, offset: serverTime - (sentAt + receivedAt) / 2 });
    if (this.samples.length > this.keep) this.samples.shift();
    this.best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
  }

  get known(): boolean {
    return this.best !== null;
  }

  /** Milliseconds to add to a local time to get server time (0 until a sample exists). */
  get offsetMs(): number {
    return this.best?.offset ?? 0;
  }

  get rttMs(): number | null {
    return this.best?.rtt ?? null;
  }

  serverNow(local = Date.now()): number {
    return local + this.offsetMs;
  }

  /** A new connection may reach another server: old samples say nothing about it. */
  reset(): void {
    this.samples = [];
    this.best = null;
  }
}
