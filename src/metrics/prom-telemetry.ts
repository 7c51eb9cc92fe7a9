import type { Registry } from 'prom-client';
import type { CloseReason, SkipReason, Telemetry, TierOrigin } from '../core/telemetry.js';
import type { ErrorCode, Role } from '../protocol/index.js';
import { ErrorCodes } from '../protocol/index.js';
import { FastCounter } from './fast-counter.js';
import { FastHistogram } from './fast-histogram.js';

const ROLES: readonly Role[] = ['viewer', 'broadcaster'];
const CLOSE_REASONS: readonly CloseReason[] = ['client', 'replaced', 'shutdown', 'slow_consumer', 'policy', 'private', 'too_large', 'invalid_utf8', 'error'];
const SKIP_REASONS: readonly SkipReason[] = ['backpressure', 'rate_limit', 'encoder_busy'];
const TIER_ORIGINS: readonly TierOrigin[] = ['edge', 'server'];
const ALL_CODES = Object.keys(ErrorCodes) as ErrorCode[];
// Codes each counter shows from the start; any other catalog code appears once it happens.
const REFUSED_CODES: readonly ErrorCode[] = ['BAD_KEY', 'ORIGIN_NOT_ALLOWED', 'ROOM_FULL', 'TOO_MANY_CONNECTIONS', 'SHUTTING_DOWN', 'BAD_ROOM'];
const REJECTED_CODES: readonly ErrorCode[] = ['FRAME_TOO_LARGE', 'FRAME_MALFORMED', 'FRAME_NOT_JPEG', 'FRAME_UNSAFE', 'NOT_ALLOWED'];
const CHAT_REFUSED_CODES: readonly ErrorCode[] = ['CHAT_EMPTY', 'CHAT_TOO_LONG', 'CHAT_RATE_LIMITED', 'CHAT_UNAVAILABLE'];
// Quality tiers are configured (a handful); a cap keeps a misconfiguration from growing series.
const MAX_QUALITIES = 16;
const MAX_RECOMPRESS_REASONS = 8;

// Fanning one frame out to thousands of sockets takes microseconds to milliseconds.
const RELAY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
// One sharp resize + JPEG encode of a webcam frame: milliseconds to a few hundred.
const RECOMPRESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28];

/**
 * The core's domain events as Prometheus series. Every method is O(1) and allocation-free:
 * counters and histograms add to typed arrays that prom-client reads when scraped.
 */
export class PromTelemetry implements Telemetry {
  readonly opened: FastCounter;
  readonly closed: FastCounter;
  readonly refused: FastCounter;
  readonly framesIn: FastCounter;
  readonly bytesIn: FastCounter;
  readonly rejected: FastCounter;
  readonly skipped: FastCounter;
  readonly framesOut: FastCounter;
  readonly bytesOut: FastCounter;
  readonly chat: FastCounter;
  readonly chatRefusedTotal: FastCounter;
  readonly recompressFailures: FastCounter;
  readonly tierFrames: FastCounter;
  readonly relay: FastHistogram;
  readonly recompress: FastHistogram;

  constructor(registry: Registry, qualities: readonly string[] = ['source']) {
    const role = { name: 'role', values: ROLES };
    const quality = { name: 'quality', values: qualities, learn: MAX_QUALITIES };
    const tiers = qualities.filter((q) => q !== 'source');
    const codes = (values: readonly ErrorCode[]) => ({ name: 'reason', values, accept: ALL_CODES });

    this.opened = new FastCounter(registry, 'beamcast_connections_opened_total', 'WebSocket connections that joined a room.', [role]);
    this.closed = new FastCounter(registry, 'beamcast_connections_closed_total', 'WebSocket connections that left a room, by why they closed.', [
      role,
      { name: 'reason', values: CLOSE_REASONS },
    ]);
    this.refused = new FastCounter(registry, 'beamcast_connections_refused_total', 'WebSocket upgrades refused, by error code.', [codes(REFUSED_CODES)]);
    this.framesIn = new FastCounter(registry, 'beamcast_frames_received_total', 'Binary frames received from broadcasters.');
    this.bytesIn = new FastCounter(registry, 'beamcast_received_bytes_total', 'Bytes of binary frames received from broadcasters.');
    this.rejected = new FastCounter(registry, 'beamcast_frames_rejected_total', 'Frames refused as invalid, by error code.', [codes(REJECTED_CODES)]);
    this.skipped = new FastCounter(registry, 'beamcast_frames_skipped_total', 'Frames not delivered on purpose, by reason (per consumer for backpressure).', [
      { name: 'reason', values: SKIP_REASONS },
    ]);
    this.framesOut = new FastCounter(registry, 'beamcast_frames_sent_total', 'Frames handed to viewer sockets, by quality tier.', [quality]);
    this.bytesOut = new FastCounter(registry, 'beamcast_sent_bytes_total', 'Bytes of frames handed to viewer sockets, by quality tier.', [quality]);
    this.chat = new FastCounter(registry, 'beamcast_chat_messages_total', 'Chat messages accepted and relayed.');
    this.chatRefusedTotal = new FastCounter(registry, 'beamcast_chat_refused_total', 'Chat messages refused, by error code.', [codes(CHAT_REFUSED_CODES)]);
    this.recompressFailures = new FastCounter(registry, 'beamcast_recompress_failures_total', 'Frames that could not be recompressed for a tier.', [
      { name: 'quality', values: tiers, learn: MAX_QUALITIES },
      { name: 'reason', values: [], learn: MAX_RECOMPRESS_REASONS },
    ]);
    this.tierFrames = new FastCounter(
      registry,
      'beamcast_tier_frames_total',
      'Frames of the recompressed tiers handed to their consumers, by who encoded them: the broadcaster (edge) or this server.',
      [
        { name: 'quality', values: tiers, learn: MAX_QUALITIES },
        { name: 'origin', values: TIER_ORIGINS },
      ],
    );
    this.relay = new FastHistogram(
      registry,
      'beamcast_frame_relay_seconds',
      'Time from accepting a source frame to handing it to every viewer socket.',
      RELAY_BUCKETS,
    );
    this.recompress = new FastHistogram(
      registry,
      'beamcast_recompress_seconds',
      'Time to recompress one source frame into a quality tier.',
      RECOMPRESS_BUCKETS,
      { name: 'quality', values: tiers, learn: MAX_QUALITIES },
    );
  }

  connectionOpened(role: Role): void {
    this.opened.add1(role);
  }

  connectionClosed(role: Role, reason: CloseReason): void {
    this.closed.add2(role, reason);
  }

  connectionRefused(code: ErrorCode): void {
    this.refused.add1(code);
  }

  frameReceived(bytes: number): void {
    this.framesIn.add();
    this.bytesIn.add(bytes);
  }

  frameRejected(code: ErrorCode): void {
    this.rejected.add1(code);
  }

  framesSkipped(reason: SkipReason, count: number): void {
    this.skipped.add1(reason, count);
  }

  framesSent(quality: string, count: number, bytes: number): void {
    this.framesOut.add1(quality, count);
    this.bytesOut.add1(quality, bytes);
  }

  frameRelayed(seconds: number): void {
    this.relay.observe(seconds);
  }

  chatAccepted(): void {
    this.chat.add();
  }

  chatRefused(code: ErrorCode): void {
    this.chatRefusedTotal.add1(code);
  }

  frameRecompressed(quality: string, seconds: number): void {
    this.recompress.observe1(quality, seconds);
  }

  recompressFailed(quality: string, reason: string): void {
    this.recompressFailures.add2(quality, reason);
  }

  tierFramePublished(quality: string, origin: TierOrigin): void {
    this.tierFrames.add2(quality, origin);
  }
}
