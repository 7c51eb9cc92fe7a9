// A WebSocket client connection over a raw TCP socket, with the leanest receive path Node
// allows: every socket of the thread reads into one shared buffer (net `onread`), so receiving
// allocates nothing, and the WsReader only looks at frame headers. `ws` would copy and
// concatenate every 50 KB message, which caps one core near 1000 viewers.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Opcode, WsReader, encodeClientFrame, type ReaderEvents } from './ws-reader.js';

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HANDSHAKE_BYTES = 64 * 1024;

/** Wall clock with sub-millisecond resolution (same epoch as Date.now()). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface ConnTarget {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
}

export interface ConnEvents {
  open(conn: LeanSocket): void;
  binary(conn: LeanSocket, head: Uint8Array, headLen: number, length: number): void;
  text(conn: LeanSocket, text: Uint8Array, capturedLen: number, length: number): void;
  /** The upgrade was refused: HTTP status and the error code from the JSON body, if any. */
  refused(conn: LeanSocket, status: number, code: string): void;
  /** The connection ended (closeCode 1006 when no close frame came). Called once. */
  closed(conn: LeanSocket, closeCode: number, reason: string): void;
}

export class LeanSocket {
  /** Time of the read that delivered the current event: one clock read per socket read. */
  now = 0;
  openedAt = 0;
  readonly startedAt: number;
  private readonly sock: Socket;
  private readonly reader: WsReader;
  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly acceptKey: string;
  private status = 0;
  private ended = false;
  private closeCode = 1006;
  private closeReason = '';
  /** For the owner's bookkeeping. */
  tag: unknown = null;

  constructor(
    target: ConnTarget,
    private readonly events: ConnEvents,
    textCapture = 64,
  ) {
    this.startedAt = wallNow();
    const key = randomBytes(16).toString('base64');
    this.acceptKey = createHash('sha1').update(key + WS_GUID).digest('base64');
    const readerEvents: ReaderEvents = {
      binary: (head, headLen, length) => events.binary(this, head, headLen, length),
      text: (text, cap, length) => events.text(this, text, cap, length),
      ping: (payload) => this.sendFrame(payload, Opcode.PONG),
      close: (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason;
        this.sendFrame(new Uint8Array([code >> 8, code & 255]), Opcode.CLOSE);
        this.sock.end();
      },
      protocolError: (message) => {
        this.closeCode = 1002;
        this.closeReason = message;
        this.sock.destroy();
      },
    };
    this.reader = new WsReader(readerEvents, textCapture);
    this.sock = connect({
      host: target.host,
      port: target.port,
      localAddress: target.localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.now = wallNow();
          if (this.handshake) this.onHandshakeData(buf, n);
          else this.reader.push(buf, 0, n);
          return true;
        },
      },
    });
    this.sock.on('connect', () => {
      this.sock.write(
        `GET ${target.path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.sock.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.closeReason) this.closeReason = err.code ?? err.message;
    });
    this.sock.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return this.openedAt > 0 && !this.ended;
  }

  sendText(text: string): void {
    this.sendFrame(Buffer.from(text), Opcode.TEXT);
  }

  sendBinary(bytes: Uint8Array): void {
    this.sendFrame(bytes, Opcode.BINARY);
  }

  /**
   * One binary message made of `parts`, without copying them: masked with an all-zero key, which
   * RFC 6455 allows and which leaves the bytes as they are. For sending many large frames.
   */
  sendBinaryParts(parts: readonly Uint8Array[]): void {
    if (this.sock.destroyed || !this.sock.writable) return;
    let n = 0;
    for (const p of parts) n += p.length;
    const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
    const head = Buffer.alloc(2 + ext + 4);
    head[0] = 0x80 | Opcode.BINARY;
    if (ext === 0) head[1] = 0x80 | n;
    else if (ext === 2) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      head.writeUInt32BE(n >>> 0, 6);
    }
    this.sock.cork();
    this.sock.write(head);
    for (const p of parts) this.sock.write(p);
    this.sock.uncork();
  }

  /** Bytes queued in user space because the kernel buffer is full. */
  get pendingBytes(): number {
    return this.sock.writableLength;
  }

  /** Stops reading from the kernel: the server sees its send buffer fill up, as with a stalled client. */
  stopReading(): void {
    this.sock.pause();
  }

  close(code = 1000): void {
    if (this.ended) return;
    if (this.isOpen) {
      this.sendFrame(new Uint8Array([code >> 8, code & 255]), Opcode.CLOSE);
      this.sock.end();
      setTimeout(() => this.sock.destroy(), 2000).unref();
    } else {
      this.sock.destroy();
    }
  }

  destroy(): void {
    this.sock.destroy();
  }

  private sendFrame(payload: Uint8Array, opcode: number): void {
    if (this.sock.destroyed || !this.sock.writable) return;
    this.sock.write(encodeClientFrame(payload, opcode));
  }

  private onHandshakeData(buf: Uint8Array, n: number): void {
    this.handshake = Buffer.concat([this.handshake!, buf.subarray(0, n)]);
    const text = this.handshake;
    if (this.status === 0) {
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        if (text.length > MAX_HANDSHAKE_BYTES) this.refuse(0, 'BAD_HANDSHAKE');
        return;
      }
      const head = text.subarray(0, end).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      if (status === 101) {
        const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
        if (accept !== this.acceptKey) return this.refuse(101, 'BAD_ACCEPT');
        const rest = text.subarray(end + 4);
        this.handshake = null;
        this.openedAt = this.now;
        this.events.open(this);
        if (rest.length > 0 && !this.ended) this.reader.push(rest);
        return;
      }
      this.status = status || -1;
      this.handshake = text.subarray(end + 4);
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (Number.isFinite(len) && this.handshake.length < len) return;
    }
    this.refuse(this.status, errorCodeOf(this.handshake!.toString('utf8')) ?? `HTTP_${this.status}`);
  }

  private refuse(status: number, code: string): void {
    if (this.ended) return;
    this.handshake = null;
    this.events.refused(this, status, code);
    this.closeReason = code;
    this.sock.destroy();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    // A refused upgrade whose body came without a length ends here.
    if (this.handshake && this.status > 0) this.events.refused(this, this.status, errorCodeOf(this.handshake.toString('utf8')) ?? `HTTP_${this.status}`);
    else if (this.handshake && this.openedAt === 0) this.events.refused(this, 0, this.closeReason || 'CONNECT_FAILED');
    this.events.closed(this, this.closeCode, this.closeReason);
  }
}

function errorCodeOf(body: string): string | null {
  try {
    const j = JSON.parse(body) as { error?: unknown };
    return typeof j.error === 'string' ? j.error : null;
  } catch {
    return null;
  }
}
