import type { FrameSink } from './peer.js';
import type { Telemetry } from './telemetry.js';

/**
 * One quality tier of one room: its consumers and its last frame.
 * Latest-frame-wins: a consumer that still holds more than `maxBuffered` unsent bytes skips
 * the frame instead of queuing it, so a slow consumer costs neither memory nor others' latency.
 */
export class FrameChannel {
  private readonly sinks = new Set<FrameSink>();
  private last: Uint8Array | null = null;
  private lastAt = 0;
  skipped = 0;

  constructor(
    readonly quality: string,
    private readonly maxBuffered: number,
    private readonly telemetry: Telemetry,
  ) {}

  get size(): number {
    return this.sinks.size;
  }

  get lastFrame(): Uint8Array | null {
    return this.last;
  }

  get lastFrameAt(): number {
    return this.lastAt;
  }

  /**
   * Adds a consumer and hands it the cached frame at once, so a late joiner sees a picture.
   * `onlyIfCaughtUp` (a tier switch): the cached frame goes only to a consumer without unsent
   * video, like any other frame; a client switching tiers in a loop cannot queue frame after frame.
   */
  add(sink: FrameSink, onlyIfCaughtUp = false): void {
    this.sinks.add(sink);
    if (!this.last) return;
    if (onlyIfCaughtUp && sink.bufferedAmount() > this.maxBuffered) {
      this.skipped++;
      this.telemetry.framesSkipped('backpressure', 1);
      return;
    }
    sink.sendFrame(this.last);
  }

  delete(sink: FrameSink): void {
    this.sinks.delete(sink);
  }

  /** `frame` must be owned by the caller and never mutated afterwards: it becomes the cache. */
  publish(frame: Uint8Array, at: number): void {
    this.last = frame;
    this.lastAt = at;
    let sent = 0;
    let skipped = 0;
    for (const sink of this.sinks) {
      if (sink.bufferedAmount() > this.maxBuffered) {
        skipped++;
        continue;
      }
      sink.sendFrame(frame);
      sent++;
    }
    if (sent > 0) this.telemetry.framesSent(this.quality, sent, sent * frame.length);
    if (skipped > 0) {
      this.skipped += skipped;
      this.telemetry.framesSkipped('backpressure', skipped);
    }
  }

  clear(): void {
    this.last = null;
  }
}
