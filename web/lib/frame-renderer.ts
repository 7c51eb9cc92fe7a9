import { FRAME_HEADER_BYTES, checkFrame, readFrameHeader, type FrameHeader } from '../../src/protocol/index.js';

export interface PaintedFrame {
  seq: number;
  capturedAt: number;
  relayedAt: number;
  /** Local Date.now() when the picture was drawn. */
  paintedAt: number;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Draws JPEG frames on a canvas, always the newest: while one decodes, later arrivals replace each
 * other in a single pending slot, so a slow device shows fewer frames instead of falling behind.
 * Bitmaps are closed after drawing and no object URLs are made, so memory stays flat.
 */
export class FrameRenderer {
  private pending: { header: FrameHeader; data: ArrayBuffer } | null = null;
  private decoding = false;
  private readonly ctx: CanvasRenderingContext2D;
  /** Frames received but replaced by a newer one before they were decoded. */
  droppedLocally = 0;
  painted = 0;
  onPaint: (f: PaintedFrame) => void = () => {};
  onReceive: (header: FrameHeader, bytes: number) => void = () => {};

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas 2d is not available');
    this.ctx = ctx;
  }

  push(data: ArrayBuffer): void {
    const bytes = new Uint8Array(data);
    if (!checkFrame(bytes).ok) return;
    const header = readFrameHeader(bytes);
    this.onReceive(header, data.byteLength);
    if (this.pending) this.droppedLocally++;
    this.pending = { header, data };
    if (!this.decoding) void this.drain();
  }

  private async drain(): Promise<void> {
    this.decoding = true;
    while (this.pending) {
      const { header, data } = this.pending;
      this.pending = null;
      let bitmap: ImageBitmap;
      try {
        const blob = new Blob([new Uint8Array(data, header.headerLen || FRAME_HEADER_BYTES)], { type: 'image/jpeg' });
        bitmap = await createImageBitmap(blob);
      } catch {
        continue; // a corrupt picture is skipped; the next one will do
      }
      if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
        this.canvas.width = bitmap.width;
        this.canvas.height = bitmap.height;
      }
      this.ctx.drawImage(bitmap, 0, 0);
      const f: PaintedFrame = {
        seq: header.seq,
        capturedAt: header.capturedAt,
        relayedAt: header.relayedAt,
        paintedAt: Date.now(),
        width: bitmap.width,
        height: bitmap.height,
        bytes: data.byteLength,
      };
      bitmap.close();
      this.painted++;
      this.onPaint(f);
    }
    this.decoding = false;
  }
}
