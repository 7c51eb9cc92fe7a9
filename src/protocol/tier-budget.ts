// Which tiers a broadcaster encodes itself: those the server says someone watches (`demand`),
// minus those it could not afford. Shared by the camera page and `npm run publish -- --tiers`.
import type { TierInfo } from './messages.js';

/** What one tier's encode of one frame cost the broadcaster. */
export interface TierCost {
  name: string;
  /** Wall time of the encode, ms. */
  ms: number;
}

// Rounds judged together, by their median: one slow encode (a GC, a busy moment) must not cost a tier.
export const MIN_ROUNDS = 10;
// Weight of the newest round in each tier's running average (what the page shows).
const ALPHA = 0.2;
// A dropped tier gets another chance after this long, then after twice as long each time it has
// to be dropped again: a device that was busy for a while (another app, heat) recovers its tiers,
// one that cannot afford them does not flap.
export const RETRY_FIRST_MS = 30_000;
export const RETRY_MAX_MS = 8 * 60_000;
// ...and only when the rounds without it leave this share of the frame interval for its last known cost.
const RETRY_HEADROOM = 0.75;

/**
 * The tiers to encode, and when to give one up. The tier encodes of a frame (a "round") run next
 * to the source stream, never in its way; when the median of the last MIN_ROUNDS rounds takes
 * longer than the frame interval, the tiers cannot keep up with the source, and the most
 * expensive one (by its running average) is dropped
 * (the server takes it over). A dropped tier is tried again (`retry`) once its wait is over and
 * the remaining tiers leave room for its last known cost; `reset` (new camera settings) gives
 * every tier another chance at once.
 */
export class TierBudget {
  private demand: TierInfo[] = [];
  private readonly dropped = new Set<string>();
  /**
   * Per tier ever dropped: when it may be tried again, the wait after its next drop, and its cost
   * and the remaining tiers' cost (ms per round) when it was dropped.
   */
  private readonly waits = new Map<string, { retryAt: number; nextMs: number; cost: number; baseline: number }>();
  private readonly avg = new Map<string, number>();
  /** Wall time of the last rounds, oldest first. */
  private rounds: number[] = [];
  /** The source's frame interval, ms. */
  intervalMs = Number.POSITIVE_INFINITY;

  /** The server's latest `demand`. */
  setDemand(tiers: readonly TierInfo[]): void {
    this.demand = [...tiers].sort((a, b) => b.maxWidth - a.maxWidth);
  }

  /** Tiers to encode now, widest first. */
  get active(): TierInfo[] {
    return this.demand.filter((t) => !this.dropped.has(t.name));
  }

  /** Tiers given up for cost, while they are in demand. */
  get droppedTiers(): string[] {
    return this.demand.filter((t) => this.dropped.has(t.name)).map((t) => t.name);
  }

  /** Average ms per frame of a tier's encode, once measured. */
  costOf(tier: string): number | undefined {
    return this.avg.get(tier);
  }

  /** A new start (camera settings changed): dropped tiers get another chance. */
  reset(): void {
    this.dropped.clear();
    this.waits.clear();
    this.avg.clear();
    this.rounds = [];
  }

  /** When a dropped tier may be tried again (ms, the clock given to `record`), or null. */
  retryAt(tier: string): number | null {
    return this.dropped.has(tier) ? (this.waits.get(tier)?.retryAt ?? null) : null;
  }

  /**
   * A dropped tier in demand whose wait is over, when the device looks able to afford it now: its
   * cost when dropped, scaled by how the remaining tiers' rounds compare with their cost then
   * (a device that was busy is faster now), fits with them in RETRY_HEADROOM of the frame
   * interval. With no other tier to judge by, it is simply tried. It is encoded again from now on
   * (announce it) and judged afresh; a tier that still does not fit is dropped again after
   * MIN_ROUNDS rounds and waits twice as long. At most one tier per call, the cheapest first.
   */
  retry(now: number): string | null {
    if (this.dropped.size === 0) return null;
    const others = this.active.length > 0;
    if (others && this.rounds.length < MIN_ROUNDS) return null;
    const median = others ? [...this.rounds].sort((a, b) => a - b)[MIN_ROUNDS >> 1]! : 0;
    let best: string | null = null;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const t of this.demand) {
      const wait = this.waits.get(t.name);
      if (!this.dropped.has(t.name) || !wait || wait.retryAt > now) continue;
      const cost = others && wait.baseline > 0 ? wait.cost * (median / wait.baseline) : wait.cost;
      if (others && median + cost > RETRY_HEADROOM * this.intervalMs) continue;
      if (cost < bestCost) [best, bestCost] = [t.name, cost];
    }
    if (best === null) return null;
    this.dropped.delete(best);
    this.rounds = [];
    return best;
  }

  /** One frame's tier encodes are done (`now`: ms on any steady clock). Returns the tier it gives up, or null. */
  record(costs: readonly TierCost[], now = Date.now()): string | null {
    let total = 0;
    for (const c of costs) {
      total += c.ms;
      const before = this.avg.get(c.name);
      this.avg.set(c.name, before === undefined ? c.ms : before + ALPHA * (c.ms - before));
    }
    this.rounds.push(total);
    if (this.rounds.length > MIN_ROUNDS) this.rounds.shift();
    if (this.rounds.length < MIN_ROUNDS) return null;
    const median = [...this.rounds].sort((a, b) => a - b)[MIN_ROUNDS >> 1]!;
    if (median <= this.intervalMs) return null;
    let worst: string | null = null;
    for (const t of this.active) if (worst === null || (this.avg.get(t.name) ?? 0) > (this.avg.get(worst) ?? 0)) worst = t.name;
    if (worst === null) return null;
    this.dropped.add(worst);
    const ms = this.waits.get(worst)?.nextMs ?? RETRY_FIRST_MS;
    let baseline = 0;
    for (const t of this.active) baseline += this.avg.get(t.name) ?? 0;
    this.waits.set(worst, { retryAt: now + ms, nextMs: Math.min(RETRY_MAX_MS, ms * 2), cost: this.avg.get(worst) ?? 0, baseline });
    // The remaining tiers are judged afresh.
    this.rounds = [];
    return worst;
  }
}

/**
 * The size a tier's picture gets from a `width`×`height` source, as the server would make it:
 * at most `maxWidth` wide, never enlarged, the source's shape (rounded, at least 1 px).
 */
export function tierSize(tier: TierInfo, width: number, height: number): { width: number; height: number } {
  const w = Math.min(tier.maxWidth, width);
  return { width: w, height: Math.max(1, Math.round((w * height) / width)) };
}
