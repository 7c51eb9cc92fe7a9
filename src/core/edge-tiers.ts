import { seqIsNewer, type ImageSize, type TierInfo } from '../protocol/index.js';
import type { TierOrigin } from './telemetry.js';

/**
 * How long an announced tier stays the broadcaster's without its frames: the server takes it back
 * once more than EDGE_GRACE_FRAMES source frames have arrived since the tier's last edge frame (or
 * its announcement), and the newest of them at least EDGE_GRACE_MS after it. Frames are the unit
 * (a tier lags its source by an encode or two); the time floor keeps a fast camera's edge from
 * losing its tier to one slow encode.
 */
export const EDGE_GRACE_FRAMES = 5;
export const EDGE_GRACE_MS = 1000;

interface Announced {
  /** Source frames accepted when the tier's last edge frame came, or when it was announced. */
  frames: number;
  at: number;
}

/** What an edge frame of an announced tier does. */
export interface EdgeFrameResult {
  /** Newer than every frame the tier has had: it goes out (else it is dropped, latest wins). */
  publish: boolean;
  /** The tier was the server's until this frame. */
  becameEdge: boolean;
}

/**
 * Who encodes each tier of one room: the broadcaster ("edge") or the server. Never both: a tier
 * is the edge's from the broadcaster's announcement (`encoding`) for as long as its frames keep
 * coming (see EDGE_GRACE_FRAMES), and the server's otherwise. Within a tier, frames go out in
 * `seq` order whoever made them, so a switch never shows an older picture after a newer one.
 */
export class EdgeTiers {
  private readonly announced = new Map<string, Announced>();
  /** Newest seq published on each tier, by either origin. */
  private readonly lastSeq = new Map<string, number>();
  private sourceFrames = 0;
  private lastSourceAt = 0;

  onSourceFrame(now: number): void {
    this.sourceFrames++;
    this.lastSourceAt = now;
  }

  isAnnounced(tier: string): boolean {
    return this.announced.has(tier);
  }

  isEdge(tier: string): boolean {
    const a = this.announced.get(tier);
    if (!a) return false;
    return this.sourceFrames - a.frames <= EDGE_GRACE_FRAMES || this.lastSourceAt - a.at < EDGE_GRACE_MS;
  }

  origin(tier: string): TierOrigin {
    return this.isEdge(tier) ? 'edge' : 'server';
  }

  /**
   * The broadcaster encodes exactly `tiers` from now on. Returns the tiers whose origin changed:
   * newly announced ones are the edge's at once (their first frames are on the way), and ones it
   * stopped encoding are the server's at once.
   */
  announce(tiers: readonly string[], now: number): { toEdge: string[]; toServer: string[] } {
    const toEdge: string[] = [];
    const toServer: string[] = [];
    for (const tier of [...this.announced.keys()]) {
      if (tiers.includes(tier)) continue;
      if (this.isEdge(tier)) toServer.push(tier);
      this.announced.delete(tier);
    }
    for (const tier of tiers) {
      if (this.announced.has(tier)) continue;
      this.announced.set(tier, { frames: this.sourceFrames, at: Math.max(now, this.lastSourceAt) });
      toEdge.push(tier);
    }
    return { toEdge, toServer };
  }

  /** An edge frame of `tier`, checked and ready; null when the tier is not announced. */
  edgeFrame(tier: string, seq: number, now: number): EdgeFrameResult | null {
    const a = this.announced.get(tier);
    if (!a) return null;
    const becameEdge = !this.isEdge(tier);
    a.frames = this.sourceFrames;
    a.at = Math.max(now, this.lastSourceAt);
    const last = this.lastSeq.get(tier);
    const publish = last === undefined || seqIsNewer(seq, last);
    if (publish) this.lastSeq.set(tier, seq);
    return { publish, becameEdge };
  }

  /**
   * The server recompressed source frame `seq` for `tier`: whether it may go out (it is newer than
   * what the tier had; the edge may have sent that frame's picture already).
   */
  serverFrame(tier: string, seq: number): boolean {
    const last = this.lastSeq.get(tier);
    if (last !== undefined && !seqIsNewer(seq, last)) return false;
    this.lastSeq.set(tier, seq);
    return true;
  }
}

/**
 * Whether a picture of `size` fits `tier` for a source of `source` size: no wider than the tier
 * or the source (tiers are never enlarged), and no taller than the source's shape at that width
 * (one pixel of rounding allowed). Without a source size nothing fits: a tier frame stands for a
 * source frame the server has.
 */
export function fitsTier(size: ImageSize | null, tier: TierInfo, source: ImageSize | null): boolean {
  if (!size || !source) return false;
  if (size.width > tier.maxWidth || size.width > source.width) return false;
  return size.height <= Math.ceil((size.width * source.height) / source.width) + 1;
}
