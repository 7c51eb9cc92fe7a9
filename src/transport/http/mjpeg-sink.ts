import type { ServerResponse } from 'node:http';
import type { ViewerSink } from '../../core/room.js';

export const MJPEG_BOUNDARY = 'beamcastframe';
const END = Buffer.from(`--${MJPEG_BOUNDARY}--\r\n`);
const CRLF = Buffer.from('\r\n');

/**
 * One `multipart/x-mixed-replace` response as a room viewer. Latest frame wins per client: while
 * the socket still holds unsent bytes of an earlier part, new frames are skipped (the room's
 * FrameChannel checks `bufferedAmount`), so a slow client never makes the server buffer video.
 */
export class MjpegSink implements ViewerSink {
  private ended = false;
  frames = 0;

  constructor(
    private readonly res: ServerResponse,
    /** Called once the sink has ended, whichever side ended it. */
    private readonly onEnded: () => void,
  ) {
    res.on('close', () => this.finish());
  }

  bufferedAmount(): number {
    return this.ended ? Number.MAX_SAFE_INTEGER : this.res.writableLength;
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
    this.frames++;
  }

  /** The room went offline or the server is closing: finish the multipart body properly. */
  onOffline(): void {
    if (this.ended) return;
    this.res.end(END);
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
