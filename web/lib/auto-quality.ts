/**
 * Picks a quality tier from how many frames the server skipped for this viewer (gaps in `seq`):
 * steps down to a lighter tier when many are skipped, and back up after a calm spell.
 * Tiers are ordered best first, as the server lists them.
 */
export class AutoQuality {
  private windowStart = 0;
  private received = 0;
  private skipped = 0;
  private calmSince = 0;
  private lastSeq: number | null = null;

  constructor(
    private readonly tiers: readonly string[],
    private index = 0,
    private readonly windowMs = 4000,
    private readonly stepDownRatio = 0.2,
    private readonly stepUpAfterMs = 15_000,
  ) {}

  get tier(): string {
    return this.tiers[this.index]!;
  }

  /** A tier change resets seq tracking: tiers number frames alike, but a switch may skip some. */
  setTier(tier: string): void {
    const i = this.tiers.indexOf(tier);
    if (i >= 0) this.index = i;
    this.lastSeq = null;
  }

  /** Feeds one received frame; returns a tier to switch to, or null. */
  onFrame(seq: number, now = performance.now()): string | null {
    if (this.windowStart === 0) this.windowStart = this.calmSince = now;
    if (this.lastSeq !== null && seq > this.lastSeq) this.skipped += seq - this.lastSeq - 1;
    this.lastSeq = seq;
    this.received++;
    if (now - this.windowStart < this.windowMs) return null;
    const ratio = this.skipped / Math.max(1, this.received + this.skipped);
    this.windowStart = now;
    this.received = this.skipped = 0;
    if (ratio > this.stepDownRatio) {
      this.calmSince = now;
      if (this.index < this.tiers.length - 1) return this.step(+1);
    } else if (ratio > 0.02) {
      this.calmSince = now;
    } else if (now - this.calmSince >= this.stepUpAfterMs && this.index > 0) {
      this.calmSince = now;
      return this.step(-1);
    }
    return null;
  }

  private step(d: number): string {
    this.index += d;
    this.lastSeq = null;
    return this.tier;
  }
}
