import { TierBudget, encodeTierFrame, readJpegSize, tierSize, type TierInfo } from '../../src/protocol/index.js';
import { RateMeter } from './rate-meter.js';
import type { TierJob, TierJobResult } from './tier-worker-protocol.js';

// A tier round not back after this long is taken as lost.
const LOST_ROUND_MS = 3000;

export interface TierEncoderOptions {
  /** The bundled worker script (its content-hashed URL). */
  workerUrl: string;
  /** Sends one binary frame; false when the connection is not open. */
  sendFrame(frame: Uint8Array): boolean;
  /** Sends `{"type":"encoding","tiers":[...]}`. */
  announce(tiers: string[]): void;
  /** Whether the connection has room for more bytes now (tiers never queue behind the source). */
  canSend(): boolean;
  /** A tier was given up for cost (the server makes it from now on). */
  onDrop?(tier: string): void;
}

/** What the page shows about one tier. */
export interface TierStat {
  name: string;
  width: number | null;
  /** Average encode time per frame, ms (null until measured). */
  ms: number | null;
  /** Upstream bits per second this tier adds. */
  bitsPerSecond: number;
}

/** The part of a captured picture's tier work that waits for its source frame to be sent. */
export interface TierRound {
  /** The source frame went out with this seq: encode and send the tiers. */
  sent(seq: number, capturedAt: number): void;
  /** The source frame did not go out: nothing is sent for it. */
  cancel(): void;
}

/**
 * Encodes the tiers the server says someone watches, from the same picture as the source frame,
 * in a worker, and sends each as a tier frame after the source frame. One round at a time: a
 * picture that comes while the last round still runs gets no tiers (counted in `skipped`), so the
 * source stream never waits. Tiers it cannot afford are dropped and announced (TierBudget); if the
 * browser cannot encode in a worker at all, it announces none and the server makes every tier.
 */
export class TierEncoder {
  readonly budget = new TierBudget();
  /** Tier rounds skipped because the previous one was still encoding. */
  skipped = 0;
  /** Since the page loaded, per tier: encodes, their ms, and tier frame bytes sent (for measurements). */
  readonly totals = new Map<string, { encodes: number; ms: number; bytes: number }>();
  private worker: Worker | null = null;
  private failed = false;
  private busy = false;
  private busySince = 0;
  private nextId = 1;
  /** Tiers announced on the current connection; null while there is none. */
  private announced: string[] | null = null;
  private readonly pending = new Map<number, { seq: number; capturedAt: number }>();
  private readonly meters = new Map<string, RateMeter>();
  private readonly widths = new Map<string, number>();

  constructor(private readonly opts: TierEncoderOptions) {}

  /** A connection opened: the server has no announcement from it yet. */
  connected(): void {
    this.announced = [];
    this.sync();
  }

  disconnected(): void {
    this.announced = null;
  }

  /** The server's `demand`. */
  setDemand(tiers: readonly TierInfo[]): void {
    this.budget.setDemand(tiers);
    this.sync();
  }

  /** Camera settings changed: every demanded tier gets another chance. */
  reset(): void {
    this.budget.reset();
    this.sync();
  }

  /** The frame interval of the source stream, ms: tier rounds must fit in it. */
  set intervalMs(ms: number) {
    this.budget.intervalMs = ms;
  }

  /** The tiers announced now (what the page shows as encoded here). */
  get encoding(): readonly string[] {
    return this.announced ?? [];
  }

  stats(): TierStat[] {
    return this.encoding.map((name) => ({
      name,
      width: this.widths.get(name) ?? null,
      ms: this.budget.costOf(name) ?? null,
      bitsPerSecond: (this.meters.get(name)?.bytesPerSecond() ?? 0) * 8,
    }));
  }

  /** Upstream bits per second of all tier frames. */
  bitsPerSecond(): number {
    let sum = 0;
    for (const m of this.meters.values()) sum += m.bytesPerSecond() * 8;
    return sum;
  }

  /**
   * A picture was drawn on `canvas` for a source frame: takes it for the tiers now (before the
   * canvas changes), or returns null when no tier is wanted or the last round is still running.
   */
  begin(canvas: HTMLCanvasElement): TierRound | null {
    const tiers = this.budget.active.filter((t) => this.announced?.includes(t.name));
    if (tiers.length === 0 || this.failed) return null;
    // A round that never came back (a worker that stalled without an error) is given up.
    if (this.busy && performance.now() - this.busySince > LOST_ROUND_MS) {
      this.busy = false;
      this.pending.clear();
    }
    if (this.busy) {
      this.skipped++;
      return null;
    }
    const worker = this.ensureWorker();
    if (!worker) return null;
    this.busy = true;
    this.busySince = performance.now();
    const { width, height } = canvas;
    const bitmap = createImageBitmap(canvas);
    return {
      sent: (seq, capturedAt) => {
        void bitmap.then(
          (b) => {
            const id = this.nextId++;
            this.pending.set(id, { seq, capturedAt });
            const job: TierJob = {
              id,
              bitmap: b,
              tiers: tiers.map((t) => ({ name: t.name, quality: t.quality, ...tierSize(t, width, height) })),
            };
            worker.postMessage(job, [b]);
          },
          () => (this.busy = false),
        );
      },
      cancel: () => {
        this.busy = false;
        void bitmap.then((b) => b.close(), () => {});
      },
    };
  }

  private ensureWorker(): Worker | null {
    if (this.worker || this.failed) return this.worker;
    try {
      if (typeof OffscreenCanvas === 'undefined') throw new Error('no OffscreenCanvas');
      this.worker = new Worker(this.opts.workerUrl);
      this.worker.onmessage = (e: MessageEvent<TierJobResult>) => this.onResult(e.data);
      this.worker.onerror = () => this.fail();
    } catch {
      this.fail();
    }
    return this.worker;
  }

  /** The browser cannot encode tiers in a worker: the server makes them all. */
  private fail(): void {
    this.failed = true;
    this.busy = false;
    this.worker?.terminate();
    this.worker = null;
    if (this.announced && this.announced.length > 0) {
      this.announced = [];
      this.opts.announce([]);
    }
  }

  private onResult(r: TierJobResult): void {
    this.busy = false;
    const frame = this.pending.get(r.id);
    this.pending.delete(r.id);
    if (r.error !== undefined) return this.fail();
    if (!frame) return;
    const dropped = this.budget.record(r.results.map((x) => ({ name: x.name, ms: x.ms })));
    for (const x of r.results) {
      let total = this.totals.get(x.name);
      if (!total) this.totals.set(x.name, (total = { encodes: 0, ms: 0, bytes: 0 }));
      total.encodes++;
      total.ms += x.ms;
      // Only tiers announced on this connection, and never while the source is still queued.
      if (dropped === x.name || !this.announced?.includes(x.name) || !this.opts.canSend()) continue;
      const jpeg = new Uint8Array(x.jpeg);
      const size = readJpegSize(jpeg);
      if (size) this.widths.set(x.name, size.width);
      const tierFrame = encodeTierFrame(jpeg, x.name, frame.seq, frame.capturedAt);
      if (this.opts.sendFrame(tierFrame)) {
        let m = this.meters.get(x.name);
        if (!m) this.meters.set(x.name, (m = new RateMeter(2000)));
        m.add(tierFrame.length);
        total.bytes += tierFrame.length;
      }
    }
    if (dropped) {
      this.sync();
      this.opts.onDrop?.(dropped);
    }
  }

  /** Announces the tiers to encode when they differ from what the server was last told. */
  private sync(): void {
    if (this.announced === null || this.failed) return;
    const want = this.budget.active.map((t) => t.name);
    if (want.join(',') === this.announced.join(',')) return;
    this.announced = want;
    this.opts.announce(want);
    for (const name of [...this.meters.keys()]) if (!want.includes(name)) this.meters.delete(name);
  }
}
