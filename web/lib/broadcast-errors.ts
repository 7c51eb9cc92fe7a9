import type { ErrorMessage, Limits } from '../../src/protocol/index.js';

/** What a broadcaster should read for a refused frame: the cause and what to change. */
export function broadcastErrorText(msg: ErrorMessage, limits: Limits | undefined): string {
  switch (msg.code) {
    case 'FRAME_RATE_LIMITED':
      return `The server accepts at most ${limits?.maxFps ?? '?'} frames per second; extra frames were dropped. Choose a lower frame rate.`;
    case 'FRAME_TOO_LARGE':
      return `A frame was larger than the server accepts${limits ? ` (${Math.round(limits.maxFrameBytes / 1024)} KB)` : ''}: lower the resolution or the JPEG quality.`;
    case 'FRAME_NOT_JPEG':
    case 'FRAME_MALFORMED':
      return 'The server did not accept a frame this browser produced. Try another browser or resolution.';
    default:
      return msg.message;
  }
}
