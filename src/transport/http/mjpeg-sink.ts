import type { ServerResponse } from 'node:http';
import type { ViewerSink } from '../../core/room.js';

export const MJPEG_BOUNDARY = 'beamcastframe';
const END = Buffer.from(`--${MJPEG_BOUNDARY}--\r\n`);
const CRLF = Buffer.from('\r\n');

/**
 * One `multipart/x-mixed-replace` response as a room viewer. Latest frame wins per client, and a
 * client holds at most one part in user space whatever VIDEO_MAX_BUFFERED says: while any byte of
 * the last part is unsent, new frames are skipped (the room's FrameChannel asks `bufferedAmount`).
 * A client that leaves a part unsent for `stallMs` while frames keep coming is closed, so one
 * that stopped reading does not hold its socket buffers for ever.
 */
export class MjpegSink implements ViewerSink {
  private ended = false;
  private sentAt = 0;
  frames = 0;
  /** Closed for not taking its frames. */
  stalled = false;

  constructor(
    private readonly res: ServerResponse,
    /** Called once the sink has ended, whichever side ended it. */
    private readonly onEnded: () => void,
    private readonly stallMs: number,
    /** Came with a token that grants `watch`: the stream goes on when the room turns private. */
    readonly canWatchPrivate = false,
  ) {
    res.on('close', () => this.finish());
    // A live stream may be silent for long (a paused camera): the stall rule replaces the
    // server's idle timeout, which would end it.
    res.setTimeout(0);
  }

  /** Unsent bytes of this response held in user space. */
  get queuedBytes(): number {
    return this.res.writableLength;
  }

  bufferedAmount(): number {
    if (this.ended) return Number.MAX_SAFE_INTEGER;
    if (this.res.writableLength === 0) return 0;
    if (performance.now() - this.sentAt > this.stallMs) {
      this.stalled = true;
      this.res.destroy();
    }
    return Number.MAX_SAFE_INTEGER;
  }

  sendFrame(frame: Uint8Array): void {
    if (this.ended) return;
    const headerLen = frame[2]! | (frame[3]! << 8);
    const jpeg = Buffer.from(frame.buffer, frame.byteOffset + headerLen, frame.length - headerLen);
    const head = `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`;
    // Corked, the three writes leave as one writev: no per-client copy of the picture.
    this.res.cork();
    this.res.write(head);
    this.res.write(jpeg);
    this.res.write(CRLF);
    this.res.uncork();
    this.sentAt = performance.now();
    this.frames++;
  }

  /** The room went offline or the server is closing: finish the multipart body properly. */
  onOffline(): void {
    if (this.ended) return;
    this.res.end(END);
    // What is still unsent must be taken within stallMs, or the socket goes.
    this.res.setTimeout(this.stallMs, () => this.res.destroy());
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnded();
  }
}

/** Status line and headers of an MJPEG response; the body ends with the connection. */
export function writeMjpegHead(res: ServerResponse): void {
  // No chunked encoding: classic MJPEG clients (IP-camera viewers, older VLC) read the raw multipart body.
  res.removeHeader('transfer-encoding');
  res.writeHead(200, {
    'content-type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    'cache-control': 'no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
    connection: 'close',
    'x-content-type-options': 'nosniff',
  });
}
