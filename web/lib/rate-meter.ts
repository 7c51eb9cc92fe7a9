/** Events and bytes over a sliding window, for fps and bit rate readouts. */
export class RateMeter {
  private events: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 2000) {}

  add(bytes = 0, now = performance.now()): void {
    this.events.push({ at: now, bytes });
    this.trim(now);
  }

  perSecond(now = performance.now()): number {
    this.trim(now);
    return (this.events.length * 1000) / this.windowMs;
  }

  bytesPerSecond(now = performance.now()): number {
    this.trim(now);
    let sum = 0;
    for (const e of this.events) sum += e.bytes;
    return (sum * 1000) / this.windowMs;
  }

  /** Average bytes per event in the window (0 when empty). */
  averageBytes(now = performance.now()): number {
    this.trim(now);
    if (this.events.length === 0) return 0;
    let sum = 0;
    for (const e of this.events) sum += e.bytes;
    return sum / this.events.length;
  }

  private trim(now: number): void {
    const cut = now - this.windowMs;
    let i = 0;
    while (i < this.events.length && this.events[i]!.at < cut) i++;
    if (i > 0) this.events.splice(0, i);
  }
}
