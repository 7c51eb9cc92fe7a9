import type { ErrorCode } from '../protocol/index.js';
import type { Room } from './room.js';
import type { RoomOptions } from './room-options.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The checks a broadcaster's tier frame passes after the ones every frame passes (size, header,
 * JPEG markers): its tag names a tier the server offers and the broadcaster announced, it keeps
 * to the tier's own frame rate, and the room accepts its picture (dimensions, metadata). Each tier
 * has its own MAX_FPS budget, as the source has: a broadcaster sending every tier of every frame
 * never runs into the limit, and one flooding a tier cannot take another's frames.
 */
export class TierFrameGate {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly room: Room,
    private readonly opts: RoomOptions,
  ) {}

  /** Null when accepted; 'rate_limited' over the tier's rate; otherwise the refusal's code. */
  accept(tier: string | undefined, frame: Uint8Array, headerLen: number, now: number): ErrorCode | 'rate_limited' | null {
    if (tier === undefined) return 'FRAME_MALFORMED';
    if (tier === 'source' || !this.opts.qualities.includes(tier)) return 'BAD_QUALITY';
    if (!this.room.edgeAnnounced(tier)) return 'TIER_NOT_ANNOUNCED';
    const { maxFps } = this.opts.limits;
    let bucket = this.buckets.get(tier);
    if (!bucket) this.buckets.set(tier, (bucket = new TokenBucket(maxFps, Math.max(2, maxFps), now)));
    if (!bucket.take(now)) return 'rate_limited';
    switch (this.room.acceptTierFrame(tier, frame, headerLen, now)) {
      case 'ok':
        return null;
      case 'size':
        return 'TIER_FRAME_SIZE';
      case 'unsafe':
        return 'FRAME_UNSAFE';
    }
  }
}
