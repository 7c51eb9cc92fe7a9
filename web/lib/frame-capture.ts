import { FRAME_HEADER_BYTES, writeFrameHeader } from '../../src/protocol/index.js';
import { RateMeter } from './rate-meter.js';
import type { RoomSocket } from './room-socket.js';
import type { TierRound } from './tier-encoder.js';

// Unsent bytes above this at a tick mean the network has not caught up: sending more would only queue.
const MAX_BUFFERED_BYTES = 8 * 1024;

/**
 * Turns camera pictures into protocol frames, one per tick: draw the video on the preview canvas,
 * encode a JPEG, prepend the header, send. Never lets frames pile up: while an encode is still
 * running or the socket still holds unsent bytes, the tick is skipped and counted instead.
 */
export class FrameCapture {
  seq = 0;
  skipped = 0;
  /** JPEG quality, 0–1; read at every encode so changes apply to the next frame. */
  quality = 0.7;
  readonly sent = new RateMeter(2000);
  /** Bytes of frames sent since the page loaded (for measurements). */
  bytesSent = 0;
  onResize: (width: number, height: number) => void = () => {};
  onTooLarge: (limit: number) => void = () => {};
  /** Asked right after each picture is drawn while connected: tier work that follows its source frame. */
  onPicture: ((canvas: HTMLCanvasElement) => TierRound | null) | null = null;
  private encoding = false;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly canvas: HTMLCanvasElement,
  ) {
    this.ctx = canvas.getContext('2d', { alpha: false })!;
  }

  reset(): void {
    this.seq = 0;
    this.skipped = 0;
  }

  /** One tick: always refreshes the preview, sends only while the socket is open. */
  async tick(socket: RoomSocket | null): Promise<void> {
    const open = socket?.isOpen ?? false;
    if (this.encoding || (open && socket!.bufferedAmount > MAX_BUFFERED_BYTES)) {
      if (open) this.skipped++;
      return;
    }
    const { videoWidth: w, videoHeight: h } = this.video;
    if (w === 0 || h === 0) return;
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.onResize(w, h);
    }
    const capturedAt = Date.now();
    this.ctx.drawImage(this.video, 0, 0, w, h);
    if (!open) return;
    this.encoding = true;
    // The tiers start from this very picture, and go out only after its source frame.
    const round = this.onPicture?.(this.canvas) ?? null;
    let sent = false;
    try {
      const blob = await new Promise<Blob | null>((resolve) => this.canvas.toBlob(resolve, 'image/jpeg', this.quality));
      if (!blob || !socket!.isOpen) return;
      const frame = new Uint8Array(FRAME_HEADER_BYTES + blob.size);
      frame.set(new Uint8Array(await blob.arrayBuffer()), FRAME_HEADER_BYTES);
      const limit = socket!.current?.limits.maxFrameBytes ?? Infinity;
      if (frame.length > limit) {
        this.skipped++;
        this.onTooLarge(limit);
        return;
      }
      writeFrameHeader(frame, ++this.seq, capturedAt);
      if (socket!.sendBinary(frame)) {
        this.sent.add(frame.length);
        this.bytesSent += frame.length;
        sent = true;
      }
    } finally {
      this.encoding = false;
      if (sent) round?.sent(this.seq, capturedAt);
      else round?.cancel();
    }
  }
}
