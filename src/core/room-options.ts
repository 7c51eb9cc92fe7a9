import type { Limits, TierInfo } from '../protocol/index.js';
import type { Log } from './log.js';
import type { Telemetry } from './telemetry.js';

/** Everything a room needs from configuration, resolved once at boot. */
export interface RoomOptions {
  limits: Limits;
  chatHistory: number;
  /** Chat messages sent on join. */
  chatOnJoin: number;
  maxViewersPerRoom: number;
  /** A consumer holding more unsent bytes than this skips video frames. */
  videoMaxBuffered: number;
  presenceIntervalMs: number;
  /** Quality tiers offered; the first is the default. 'source' is always present. */
  qualities: readonly string[];
  /** The recompressed tiers among `qualities`: what a broadcaster is told to encode, and what its tier frames may be. */
  tiers?: readonly TierInfo[];
  telemetry: Telemetry;
  log: Log;
}
