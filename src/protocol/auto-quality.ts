// The viewer's "auto" quality mode, shared by pages and tools (no Node-only APIs).
// Frames carry the broadcaster's `seq`: a gap means frames were skipped for this viewer (its link
// was still busy, latest frame wins) or its tier's encoder was busy. Many gaps: step down a tier.
// A long clean stretch: try one tier up, waiting longer after each try that had to be undone.

export interface AutoQualityOptions {
  /** Tiers best first, as `welcome.qualities` lists them. */
  qualities: readonly string[];
  /** Length of one judgement window. */
  windowMs?: number;
  /** Share of skipped frames in a window that steps down. */
  downAbove?: number;
  /** Share of skipped frames under which a window counts as clean. */
  upBelow?: number;
  /** Clean time needed before the first step up; doubles after each step up that failed. */
  upAfterMs?: number;
  maxUpAfterMs?: number;
}

export class AutoQuality {
  private index: number;
  private windowStart = -1;
  private received = 0;
  private skipped = 0;
  private lastSeq = -1;
  private cleanSince = -1;
  private upAfterMs: number;
  private lastUpAt = -Infinity;
  private readonly windowMs: number;
  private readonly downAbove: number;
  private readonly upBelow: number;
  private readonly maxUpAfterMs: number;

  constructor(
    private readonly opts: AutoQualityOptions,
    current: string,
  ) {
    this.index = Math.max(0, opts.qualities.indexOf(current));
    this.windowMs = opts.windowMs ?? 2000;
    this.downAbove = opts.downAbove ?? 0.2;
    this.upBelow = opts.upBelow ?? 0.03;
    this.upAfterMs = opts.upAfterMs ?? 10_000;
    this.maxUpAfterMs = opts.maxUpAfterMs ?? 120_000;
  }

  get quality(): string {
    return this.opts.qualities[this.index]!;
  }

  /**
   * Records one received frame. Returns the tier to switch to (send `{"type":"quality"}`), or null
   * to stay. Call `reset()` after the switch and after a reconnect: seq jumps then mean nothing.
   */
  onFrame(seq: number, now: number): string | null {
    if (this.windowStart < 0) this.windowStart = now;
    if (this.lastSeq >= 0 && seq > this.lastSeq + 1 && seq - this.lastSeq < 1000) this.skipped += seq - this.lastSeq - 1;
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.received++;
    if (now - this.windowStart < this.windowMs) return null;

    const total = this.received + this.skipped;
    const skipShare = total > 0 ? this.skipped / total : 0;
    const windowStart = this.windowStart;
    this.windowStart = now;
    this.received = 0;
    this.skipped = 0;

    if (skipShare > this.downAbove && this.index < this.opts.qualities.length - 1) {
      // A step up that had to be undone soon: wait twice as long before the next try.
      if (now - this.lastUpAt < this.upAfterMs) this.upAfterMs = Math.min(this.upAfterMs * 2, this.maxUpAfterMs);
      this.index++;
      this.cleanSince = -1;
      return this.quality;
    }
    if (skipShare >= this.upBelow) {
      this.cleanSince = -1;
      return null;
    }
    if (this.cleanSince < 0) this.cleanSince = windowStart;
    if (this.index > 0 && now - this.cleanSince >= this.upAfterMs) {
      this.index--;
      this.lastUpAt = now;
      this.cleanSince = -1;
      return this.quality;
    }
    return null;
  }

  /** Forget the seq history (after a tier switch or a reconnect). */
  reset(): void {
    this.lastSeq = -1;
    this.windowStart = -1;
    this.received = 0;
    this.skipped = 0;
  }
}
