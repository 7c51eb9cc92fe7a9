import type { JpegEncoder } from '../media/jpeg-encoder.js';
import { TierBudget, encodeTierFrame, type TierCost, type TierInfo } from '../protocol/index.js';

/** The connection tier frames go out on. */
export interface TierSink {
  sendText(text: string): void;
  sendFrame(frame: Uint8Array): void;
  /** Bytes still queued on it: tiers go out only behind an empty queue, never ahead of the source. */
  bufferedAmount(): number;
}

/**
 * `publish --tiers`: encodes the tiers the server says someone watches (its `demand`) from each
 * source frame, locally with sharp, and sends them as tier frames after it, so a camera fed by
 * ffmpeg takes the recompression off the server too. The widest tier is made from the source and
 * each narrower one from the tier above (a cascade, as the server does). One frame's tiers at a
 * time: a source frame that comes while the last round still runs gets none (`skipped`), so the
 * source is never held up; tiers that cannot keep up with the frame rate are dropped, most
 * expensive first, and announced, and the server makes them.
 */
export class TierPublisher {
  readonly budget = new TierBudget();
  /** Tier frames sent, and their bytes. */
  sent = 0;
  bytes = 0;
  /** Source frames that got no tiers because the previous round was still encoding. */
  skipped = 0;
  private sink: TierSink | null = null;
  /** Tiers announced on the current connection. */
  private announced: string[] = [];
  /** The round under way, if any. */
  private running: Promise<void> | null = null;

  constructor(
    private readonly encode: JpegEncoder,
    private readonly log: (line: string) => void,
  ) {}

  /** A connection is open (past its welcome): nothing is announced on it yet. */
  connected(sink: TierSink): void {
    this.sink = sink;
    this.announced = [];
    this.sync();
  }

  disconnected(): void {
    this.sink = null;
    this.announced = [];
  }

  setDemand(tiers: readonly TierInfo[]): void {
    this.budget.setDemand(tiers);
    this.sync();
  }

  /** The tiers announced now. */
  get encoding(): readonly string[] {
    return this.announced;
  }

  /** A source frame went out on the current connection: its tiers follow, unless a round is still running. */
  afterSource(jpeg: Uint8Array, seq: number, capturedAt: number): void {
    const tiers = this.budget.active.filter((t) => this.announced.includes(t.name));
    if (tiers.length === 0 || !this.sink) return;
    if (this.running) {
      this.skipped++;
      return;
    }
    this.running = this.round(this.sink, tiers, jpeg, seq, capturedAt).finally(() => (this.running = null));
  }

  /** Resolves once the round under way (if any) has sent its tiers: at the end of the input. */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  private async round(sink: TierSink, tiers: TierInfo[], jpeg: Uint8Array, seq: number, capturedAt: number): Promise<void> {
    const costs: TierCost[] = [];
    const made: { name: string; jpeg: Uint8Array }[] = [];
    let input = jpeg;
    for (const t of tiers) {
      const t0 = performance.now();
      try {
        input = await this.encode(input, { maxWidth: t.maxWidth, quality: t.quality });
      } catch {
        return; // a picture sharp cannot read: the server refuses or recompresses it as well
      }
      costs.push({ name: t.name, ms: performance.now() - t0 });
      made.push({ name: t.name, jpeg: input });
    }
    const dropped = this.budget.record(costs);
    // The connection may have changed meanwhile: tiers of the old one's frames are not sent.
    if (sink === this.sink) {
      for (const m of made) {
        if (m.name === dropped || !this.announced.includes(m.name) || sink.bufferedAmount() > 0) continue;
        const frame = encodeTierFrame(m.jpeg, m.name, seq, capturedAt);
        sink.sendFrame(frame);
        this.sent++;
        this.bytes += frame.length;
      }
    }
    if (dropped) {
      this.log(`tier ${dropped} takes longer than the frame interval to encode here: the server makes it from now on`);
      this.sync();
    }
  }

  /** Announces the tiers to encode when they differ from what the server was last told. */
  private sync(): void {
    if (!this.sink) return;
    const want = this.budget.active.map((t) => t.name);
    if (want.join(',') === this.announced.join(',')) return;
    this.announced = want;
    this.sink.sendText(JSON.stringify({ type: 'encoding', tiers: want }));
    this.log(want.length ? `encoding tiers here: ${want.join(', ')}` : 'encoding no tiers here');
  }
}
