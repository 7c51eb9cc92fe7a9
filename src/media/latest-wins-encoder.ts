import type { Log } from '../core/log.js';
import type { Telemetry } from '../core/telemetry.js';
import { failureReason, type JpegEncoder, type ResizeSpec } from './jpeg-encoder.js';

type Waiter = (out: Uint8Array | null) => void;

interface Job {
  /** What is decoded: the source frame, or a larger tier's output made from it. */
  frame: Uint8Array;
  headerLen: number;
  /** The accepted source frame this job stands for; dedupe and freshness compare it. */
  origin: Uint8Array;
  waiters: Waiter[];
}

// A corrupt stream fails every frame; one warning per interval per tier is enough.
const FAIL_LOG_INTERVAL_MS = 10_000;

export interface LatestWinsEncoderOptions {
  quality: string;
  spec: ResizeSpec;
  encode: JpegEncoder;
  /** Receives each finished frame: the source header (seq, capturedAt, relayedAt) + the new JPEG. */
  publish(frame: Uint8Array, origin: Uint8Array): void;
  telemetry: Telemetry;
  log: Log;
}

/**
 * Recompresses one room's source frames into one tier. At most one encode runs and at most one
 * frame waits: a newer frame replaces the waiting one (counted as an `encoder_busy` skip), so a
 * slow encoder lowers the tier's frame rate instead of building a queue.
 */
export class LatestWinsEncoder {
  private running: Job | null = null;
  private waiting: Job | null = null;
  private disposed = false;
  private lastFailLogAt = -Infinity;
  /** The source frame the newest output stands for, and that output. */
  lastSource: Uint8Array | null = null;
  lastOutput: Uint8Array | null = null;
  encodes = 0;
  failures = 0;

  constructor(private readonly opts: LatestWinsEncoderOptions) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Queues `frame` (a complete frame with its header) unless its origin is already done or pending.
   * `origin` is the source frame it stands for when `frame` is a larger tier's output.
   */
  submit(frame: Uint8Array, headerLen: number, origin: Uint8Array = frame): void {
    this.enqueue(frame, headerLen, origin, null);
  }

  /**
   * Like `submit`, and resolves with the output for `frame`, or for a newer frame that replaced it
   * while waiting; null when that encode failed.
   */
  request(frame: Uint8Array, headerLen: number): Promise<Uint8Array | null> {
    if (this.lastSource === frame) return Promise.resolve(this.lastOutput);
    return new Promise((resolve) => this.enqueue(frame, headerLen, frame, resolve));
  }

  /** Drops the waiting frame and discards the running one's result: the tier is fed another way now. */
  supersede(): void {
    this.release(this.waiting);
    this.waiting = null;
    if (this.running) this.running.origin = EMPTY;
  }

  dispose(): void {
    this.disposed = true;
    this.supersede();
  }

  private enqueue(frame: Uint8Array, headerLen: number, origin: Uint8Array, waiter: Waiter | null): void {
    if (this.disposed) return waiter?.(null);
    if (this.lastSource === origin) return waiter?.(this.lastOutput);
    const pending = this.running?.origin === origin ? this.running : this.waiting?.origin === origin ? this.waiting : null;
    if (pending) {
      if (waiter) pending.waiters.push(waiter);
      return;
    }
    const job: Job = { frame, headerLen, origin, waiters: waiter ? [waiter] : [] };
    if (!this.running) {
      void this.run(job);
      return;
    }
    if (this.waiting) {
      // Whoever waited for the replaced frame gets the newer one instead.
      job.waiters.push(...this.waiting.waiters);
      this.opts.telemetry.framesSkipped('encoder_busy', 1);
    }
    this.waiting = job;
  }

  private async run(job: Job): Promise<void> {
    this.running = job;
    const { opts } = this;
    const { frame, headerLen } = job;
    let out: Uint8Array | null = null;
    const t0 = performance.now();
    try {
      const jpeg = await opts.encode(frame.subarray(headerLen), opts.spec);
      out = new Uint8Array(headerLen + jpeg.length);
      out.set(frame.subarray(0, headerLen));
      out.set(jpeg, headerLen);
      this.encodes++;
      opts.telemetry.frameRecompressed(opts.quality, (performance.now() - t0) / 1000);
    } catch (err) {
      this.failures++;
      opts.telemetry.recompressFailed(opts.quality, failureReason(err));
      const now = performance.now();
      if (now - this.lastFailLogAt >= FAIL_LOG_INTERVAL_MS) {
        this.lastFailLogAt = now;
        opts.log.warn({ quality: opts.quality, err: (err as Error).message, failures: this.failures }, 'frame could not be recompressed; dropped for this tier');
      }
    }
    this.running = null;
    // A superseded or disposed job's result is stale: nobody gets it.
    const origin = job.origin;
    if (out && origin !== EMPTY && !this.disposed) {
      this.lastSource = origin;
      this.lastOutput = out;
      opts.publish(out, origin);
    }
    for (const w of job.waiters) w(origin === EMPTY ? null : out);
    const next = this.waiting;
    this.waiting = null;
    if (next && !this.disposed) void this.run(next);
    else this.release(next);
  }

  private release(job: Job | null): void {
    if (job) for (const w of job.waiters) w(null);
  }
}

const EMPTY = new Uint8Array(0);
