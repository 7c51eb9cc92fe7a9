import type { Limits } from '../protocol/index.js';
import type { AudienceOptions } from './audience/room-audience.js';
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
  telemetry: Telemetry;
  log: Log;
  /** Viewer list and join notices (defaults: DEFAULT_AUDIENCE_OPTIONS). */
  audience?: Partial<AudienceOptions>;
}
