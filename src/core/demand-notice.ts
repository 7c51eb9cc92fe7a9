import type { DemandMessage, TierInfo } from '../protocol/index.js';

// Viewers joining and leaving in a burst cost the broadcaster one `demand` per interval at most.
export const DEMAND_INTERVAL_MS = 250;

/**
 * Tells a broadcaster which tiers someone consumes: at once when the set changes after a quiet
 * spell, otherwise once at the end of the interval with whatever the set is then. The same set
 * is never sent twice in a row.
 */
export class DemandNotice {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastKey: string | null = null;
  private disposed = false;

  constructor(
    private readonly read: () => TierInfo[],
    private readonly send: (msg: DemandMessage) => void,
    private readonly intervalMs = DEMAND_INTERVAL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Sends the current set now, unless it is the one sent last. */
  sendNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.disposed) return;
    const tiers = this.read();
    const key = tiers.map((t) => t.name).join(',');
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.lastAt = this.clock();
    this.send({ type: 'demand', tiers });
  }

  /** The set may have changed. */
  changed(): void {
    if (this.timer || this.disposed) return;
    const wait = this.lastAt + this.intervalMs - this.clock();
    if (wait <= 0) return this.sendNow();
    this.timer = setTimeout(() => this.sendNow(), wait);
    (this.timer as { unref?: () => void }).unref?.();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
