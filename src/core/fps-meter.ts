/** Frames per second over the last few whole seconds, in a fixed ring: no allocation per frame. */
export class FpsMeter {
  private readonly counts: Uint32Array;
  private readonly stamps: Float64Array;

  constructor(private readonly windowSec = 5) {
    this.counts = new Uint32Array(windowSec);
    this.stamps = new Float64Array(windowSec);
  }

  tick(now: number): void {
    const sec = Math.floor(now / 1000);
    const i = sec % this.windowSec;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.counts[i] = 0;
    }
    this.counts[i]! += 1;
  }

  /** Average over the last complete seconds in the window (the running second is excluded). */
  fps(now: number): number {
    const sec = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < this.windowSec; i++) {
      const s = this.stamps[i]!;
      if (s < sec && s >= sec - (this.windowSec - 1)) total += this.counts[i]!;
    }
    return Math.round((total / (this.windowSec - 1)) * 10) / 10;
  }
}
