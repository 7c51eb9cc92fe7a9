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

/**
 * The tiers to encode, and when to give one up. The tier encodes of a frame (a "round") run next
 * to the source stream, never in its way; when the median of the last MIN_ROUNDS rounds takes
 * longer than the frame interval, the tiers cannot keep up with the source, and the most
 * expensive one (by its running average) is dropped
 * (the server takes it over). Dropped tiers stay dropped until `reset` (new camera settings).
 */
export class TierBudget {
  private demand: TierInfo[] = [];
  private readonly dropped = new Set<string>();
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
    this.avg.clear();
    this.rounds = [];
  }

  /** One frame's tier encodes are done. Returns the tier it gives up, or null. */
  record(costs: readonly TierCost[]): string | null {
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
