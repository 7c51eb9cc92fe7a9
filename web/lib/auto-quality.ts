/**
 * The viewer's "auto" quality: picks a tier from how many frames were skipped for this viewer
 * (gaps in `seq`), stepping down to a lighter tier when many are, and back up after a calm spell.
 * Tiers are ordered best first, as `welcome.qualities` lists them.
 */
export interface AutoQualityOptions {
  qualities: readonly string[];
  /** Length of one judgement window. */
  windowMs?: number;
  /** Share of skipped frames in a window that steps down. */
  downAbove?: number;
  /** Share of skipped frames under which a window counts as calm. */
  upBelow?: number;
  /** Calm time needed before stepping up. */
  upAfterMs?: number;
}

export class AutoQuality {
  private index: number;
  private windowStart = -1;
  private received = 0;
  private skipped = 0;
  private lastSeq = -1;
  private calmSince = -1;

  constructor(
    private readonly opts: AutoQualityOptions,
    current: string,
  ) {
    this.index = Math.max(0, opts.qualities.indexOf(current));
  }

  get quality(): string {
    return this.opts.qualities[this.index]!;
  }

  /** Records one received frame; returns a tier to switch to, or null to stay. */
  onFrame(seq: number, now: number): string | null {
    const { windowMs = 2000, downAbove = 0.2, upBelow = 0.03, upAfterMs = 10_000 } = this.opts;
    if (this.windowStart < 0) this.windowStart = now;
    // A broadcaster that reconnects starts again from 1: only forward jumps are skips.
    if (this.lastSeq >= 0 && seq > this.lastSeq + 1) this.skipped += seq - this.lastSeq - 1;
    this.lastSeq = seq;
    this.received++;
    if (now - this.windowStart < windowMs) return null;
    const share = this.skipped / Math.max(1, this.received + this.skipped);
    const windowStart = this.windowStart;
    this.windowStart = now;
    this.received = this.skipped = 0;
    if (share > downAbove) {
      this.calmSince = -1;
      return this.index < this.opts.qualities.length - 1 ? this.step(+1) : null;
    }
    if (share >= upBelow) {
      this.calmSince = -1;
      return null;
    }
    if (this.calmSince < 0) this.calmSince = windowStart;
    if (this.index > 0 && now - this.calmSince >= upAfterMs) {
      this.calmSince = -1;
      return this.step(-1);
    }
    return null;
  }

  /** Forget the seq history (after a tier switch or a reconnect): jumps then mean nothing. */
  reset(): void {
    this.lastSeq = -1;
    this.windowStart = -1;
    this.received = this.skipped = 0;
  }

  private step(d: number): string {
    this.index += d;
    this.reset();
    return this.quality;
  }
}
