import type { ErrorCode, Role } from '../protocol/index.js';

export type SkipReason = 'backpressure' | 'rate_limit' | 'encoder_busy';
/** Who encoded a frame of a recompressed tier: the broadcaster ("edge") or this server. */
export type TierOrigin = 'edge' | 'server';
/**
 * Why a connection ended. `too_large` and `invalid_utf8` are the server's own closes: a message
 * over the transport limit, or a text message that is not UTF-8 (see docs/protocol.md, Limits).
 * `private`: the room turned private and the connection has no token that lets it watch.
 */
export type CloseReason = 'client' | 'replaced' | 'shutdown' | 'slow_consumer' | 'policy' | 'private' | 'too_large' | 'invalid_utf8' | 'error';

/**
 * Domain events the core reports. The metrics adapter implements this; the core never knows
 * about Prometheus. Every method is called on hot paths, so implementations must be O(1).
 */
export interface Telemetry {
  connectionOpened(role: Role): void;
  connectionClosed(role: Role, reason: CloseReason): void;
  connectionRefused(code: ErrorCode): void;
  frameReceived(bytes: number): void;
  frameRejected(code: ErrorCode): void;
  framesSkipped(reason: SkipReason, count: number): void;
  framesSent(quality: string, count: number, bytes: number): void;
  /** Accept → handed to every socket, in seconds. */
  frameRelayed(seconds: number): void;
  chatAccepted(): void;
  chatRefused(code: ErrorCode): void;
  /** One recompression of a source frame into a tier, in seconds. */
  frameRecompressed(quality: string, seconds: number): void;
  /** A frame could not be recompressed for a tier (e.g. corrupt JPEG) and was dropped for it. */
  recompressFailed(quality: string, reason: string): void;
  /** A frame of a recompressed tier went out to its consumers, encoded by the broadcaster or here. */
  tierFramePublished(quality: string, origin: TierOrigin): void;
}

const noop = (): void => {};
export const noopTelemetry: Telemetry = {
  connectionOpened: noop,
  connectionClosed: noop,
  connectionRefused: noop,
  frameReceived: noop,
  frameRejected: noop,
  framesSkipped: noop,
  framesSent: noop,
  frameRelayed: noop,
  chatAccepted: noop,
  chatRefused: noop,
  frameRecompressed: noop,
  recompressFailed: noop,
  tierFramePublished: noop,
};
