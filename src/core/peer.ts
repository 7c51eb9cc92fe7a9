/** Result of queuing a text message on a connection. */
export type SendResult = 'sent' | 'buffered' | 'dropped';

/** Something that takes video frames: a WebSocket viewer, an MJPEG response, ... */
export interface FrameSink {
  /** Bytes queued in user space that the peer has not taken yet. */
  bufferedAmount(): number;
  sendFrame(frame: Uint8Array): void;
}

/** A connection as the core sees it. Transports implement it; the core never touches sockets. */
export interface Peer extends FrameSink {
  sendText(json: string): SendResult;
  close(code: number, reason: string): void;
}
