import WebSocket from 'ws';
import { FRAME_HEADER_BYTES, readFrameHeader, type FrameHeader, type ServerMessage } from '../../src/protocol/index.js';

export interface ReceivedFrame extends FrameHeader {
  bytes: Buffer;
  receivedAt: number;
}

type Item = { kind: 'text'; msg: ServerMessage } | { kind: 'frame'; frame: ReceivedFrame };

/**
 * A real `ws` client that records everything it receives in order, with helpers that wait for
 * the next message of a kind. Every wait has a timeout so a broken server fails the test, not hangs it.
 */
export class TestClient {
  readonly items: Item[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const h = readFrameHeader(new Uint8Array(data.buffer, data.byteOffset, FRAME_HEADER_BYTES));
        this.items.push({ kind: 'frame', frame: { ...h, bytes: data, receivedAt: Date.now() } });
      } else {
        this.items.push({ kind: 'text', msg: JSON.parse(data.toString()) as ServerMessage });
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve();
      });
    });
    ws.on('error', () => {});
  }

  static connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          // With this listener, ws leaves the request to us; the refused upgrade's keep-alive
          // socket would otherwise hold the test process for the server's idle timeout (~10 s).
          req.socket?.destroy();
          reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body }));
        });
      });
      ws.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async nextItem(pred: (i: Item) => boolean, timeoutMs: number, what: string): Promise<Item> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.items.length) {
        const item = this.items[this.cursor++]!;
        if (pred(item)) return item;
      }
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next item of any kind, in arrival order. */
  async next(timeoutMs = 2000): Promise<Item> {
    return this.nextItem(() => true, timeoutMs, 'any message');
  }

  async nextText<T extends ServerMessage['type']>(type: T, timeoutMs = 2000): Promise<Extract<ServerMessage, { type: T }>> {
    const item = await this.nextItem((i) => i.kind === 'text' && i.msg.type === type, timeoutMs, `"${type}"`);
    return (item as unknown as { msg: Extract<ServerMessage, { type: T }> }).msg;
  }

  /** The next text message of a type that also satisfies `pred` (others of the type are passed over). */
  async nextTextWhere<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean, timeoutMs = 2000, what = `"${type}" that fits`): Promise<Extract<ServerMessage, { type: T }>> {
    const item = await this.nextItem((i) => i.kind === 'text' && i.msg.type === type && pred(i.msg as Extract<ServerMessage, { type: T }>), timeoutMs, what);
    return (item as unknown as { msg: Extract<ServerMessage, { type: T }> }).msg;
  }

  async nextFrame(timeoutMs = 2000): Promise<ReceivedFrame> {
    const item = await this.nextItem((i) => i.kind === 'frame', timeoutMs, 'a frame');
    return (item as { frame: ReceivedFrame }).frame;
  }

  texts<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.items.flatMap((i) => (i.kind === 'text' && i.msg.type === type ? [i.msg as Extract<ServerMessage, { type: T }>] : []));
  }

  frames(): ReceivedFrame[] {
    return this.items.flatMap((i) => (i.kind === 'frame' ? [i.frame] : []));
  }

  send(data: string | Uint8Array | object): void {
    if (data instanceof Uint8Array || typeof data === 'string') this.ws.send(data);
    else this.ws.send(JSON.stringify(data));
  }

  /** Resolves once the server has handled everything this client sent before (a ping round trip). */
  async sync(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    for (;;) if ((await this.nextText('pong')).t === t) return;
  }

  async waitClose(timeoutMs = 3000): Promise<number> {
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.closeCode === null) throw new Error('socket did not close in time');
    return this.closeCode;
  }

  async close(): Promise<void> {
    if (this.closeCode !== null) return;
    this.ws.close();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.closeCode === null) this.ws.terminate();
  }
}
