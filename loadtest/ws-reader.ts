// Incremental reader of server→client WebSocket frames (RFC 6455), built for a receive path
// that must keep up with thousands of video streams on one core: it never copies a payload.
// Binary messages yield their first 24 bytes (the frame header) and their length; text
// messages yield at most `textCapture` leading bytes; pings and closes are reported.
import { FRAME_HEADER_BYTES } from '../src/protocol/frame-header.js';

export interface ReaderEvents {
  /** A complete binary message. `head` holds its first min(24, length) bytes; valid during the call only. */
  binary(head: Uint8Array, headLen: number, length: number): void;
  /** A complete text message; `text` holds its first min(textCapture, length) bytes; valid during the call only. */
  text(text: Uint8Array, capturedLen: number, length: number): void;
  ping(payload: Uint8Array): void;
  close(code: number, reason: string): void;
  /** The stream broke the framing rules; the connection should be dropped. */
  protocolError(message: string): void;
}

const OP_CONT = 0;
const OP_TEXT = 1;
const OP_BINARY = 2;
const OP_CLOSE = 8;
const OP_PING = 9;
const OP_PONG = 10;

export class WsReader {
  private readonly hdr = new Uint8Array(14);
  private hdrLen = 0;
  private inPayload = false;
  private left = 0;
  private op = 0;
  private fin = false;
  /** Opcode of the data message being assembled (text or binary), 0 between messages. */
  private msgOp = 0;
  private msgLen = 0;
  private readonly head = new Uint8Array(FRAME_HEADER_BYTES);
  private headLen = 0;
  private textBuf: Uint8Array;
  private textLen = 0;
  private readonly ctl = new Uint8Array(125);
  private ctlLen = 0;
  private failed = false;

  constructor(
    private readonly events: ReaderEvents,
    private readonly textCapture = 64,
  ) {
    this.textBuf = new Uint8Array(Math.min(textCapture, 256));
  }

  /** Feeds bytes [start, end) of `chunk`. The chunk may be reused by the caller afterwards. */
  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let off = start;
    while (off < end && !this.failed) {
      if (!this.inPayload) {
        off = this.readHeader(chunk, off, end);
        continue;
      }
      const n = Math.min(this.left, end - off);
      if (n > 0) this.consume(chunk, off, n);
      off += n;
      this.left -= n;
      if (this.left === 0) this.frameDone();
    }
  }

  private readHeader(chunk: Uint8Array, off: number, end: number): number {
    const h = this.hdr;
    while (off < end) {
      h[this.hdrLen++] = chunk[off++]!;
      if (this.hdrLen < 2) continue;
      const len7 = h[1]! & 0x7f;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (h[1]! & 0x80 ? 4 : 0);
      if (this.hdrLen < need) continue;
      this.startFrame(len7);
      return off;
    }
    return off;
  }

  private startFrame(len7: number): void {
    const h = this.hdr;
    this.hdrLen = 0;
    this.fin = (h[0]! & 0x80) !== 0;
    this.op = h[0]! & 0x0f;
    if (h[1]! & 0x80) return this.fail('server frames must not be masked');
    let len = len7;
    if (len7 === 126) len = (h[2]! << 8) | h[3]!;
    else if (len7 === 127) {
      const hi = ((h[2]! << 24) >>> 0) + ((h[3]! << 16) | (h[4]! << 8) | h[5]!);
      const lo = ((h[6]! << 24) >>> 0) + ((h[7]! << 16) | (h[8]! << 8) | h[9]!);
      len = hi * 2 ** 32 + lo;
    }
    if (this.op >= 8) {
      if (len > 125 || !this.fin) return this.fail('bad control frame');
      this.ctlLen = 0;
    } else if (this.op === OP_TEXT || this.op === OP_BINARY) {
      if (this.msgOp !== 0) return this.fail('new message inside a fragmented one');
      this.msgOp = this.op;
      this.msgLen = 0;
      this.headLen = 0;
      this.textLen = 0;
    } else if (this.op === OP_CONT) {
      if (this.msgOp === 0) return this.fail('continuation without a message');
    } else {
      return this.fail(`unknown opcode ${this.op}`);
    }
    this.left = len;
    this.inPayload = true;
    if (len === 0) this.frameDone();
  }

  private consume(chunk: Uint8Array, off: number, n: number): void {
    if (this.op >= 8) {
      this.ctl.set(chunk.subarray(off, off + n), this.ctlLen);
      this.ctlLen += n;
      return;
    }
    this.msgLen += n;
    if (this.msgOp === OP_BINARY) {
      if (this.headLen < FRAME_HEADER_BYTES) {
        const k = Math.min(n, FRAME_HEADER_BYTES - this.headLen);
        this.head.set(chunk.subarray(off, off + k), this.headLen);
        this.headLen += k;
      }
    } else if (this.textLen < this.textCapture) {
      const k = Math.min(n, this.textCapture - this.textLen);
      if (this.textLen + k > this.textBuf.length) {
        const grown = new Uint8Array(Math.min(this.textCapture, Math.max(this.textBuf.length * 2, this.textLen + k)));
        grown.set(this.textBuf.subarray(0, this.textLen));
        this.textBuf = grown;
      }
      this.textBuf.set(chunk.subarray(off, off + k), this.textLen);
      this.textLen += k;
    }
  }

  private frameDone(): void {
    this.inPayload = false;
    const op = this.op;
    if (op >= 8) {
      const p = this.ctl.subarray(0, this.ctlLen);
      if (op === OP_PING) this.events.ping(p);
      else if (op === OP_CLOSE) {
        const code = p.length >= 2 ? (p[0]! << 8) | p[1]! : 1005;
        this.events.close(code, Buffer.from(p.subarray(2)).toString('utf8'));
      } else if (op !== OP_PONG) this.fail(`unknown control opcode ${op}`);
      return;
    }
    if (!this.fin) return;
    const msgOp = this.msgOp;
    this.msgOp = 0;
    if (msgOp === OP_BINARY) this.events.binary(this.head, this.headLen, this.msgLen);
    else this.events.text(this.textBuf, this.textLen, this.msgLen);
  }

  private fail(message: string): void {
    this.failed = true;
    this.events.protocolError(message);
  }
}

/** Client→server frame: masked, as RFC 6455 requires of clients. */
export function encodeClientFrame(payload: Uint8Array, opcode: number): Buffer {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + ext + 4 + n);
  out[0] = 0x80 | opcode;
  if (ext === 0) out[1] = 0x80 | n;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  const m = 2 + ext;
  const key = (Math.random() * 2 ** 32) >>> 0;
  out.writeUInt32BE(key, m);
  const k0 = out[m]!, k1 = out[m + 1]!, k2 = out[m + 2]!, k3 = out[m + 3]!;
  const p = m + 4;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    out[p + i] = payload[i]! ^ k0;
    out[p + i + 1] = payload[i + 1]! ^ k1;
    out[p + i + 2] = payload[i + 2]! ^ k2;
    out[p + i + 3] = payload[i + 3]! ^ k3;
  }
  const keys = [k0, k1, k2, k3];
  for (; i < n; i++) out[p + i] = payload[i]! ^ keys[i & 3]!;
  return out;
}

export const Opcode = { TEXT: OP_TEXT, BINARY: OP_BINARY, CLOSE: OP_CLOSE, PING: OP_PING, PONG: OP_PONG } as const;
