import WebSocket from 'ws';

export interface WireMessage {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
}

/**
 * A Pusher protocol client on a raw `ws` socket, for what pusher-js cannot show (the exact
 * frames, an Origin header, malformed input). Records every message; waits have timeouts.
 */
export class PusherWire {
  readonly messages: WireMessage[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closeCode: number | null = null;
  private readonly closed: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as WireMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve();
      }),
    );
    ws.on('error', () => {});
  }

  static connect(wsPort: number, key: string, opts: { query?: string; origin?: string } = {}): Promise<PusherWire> {
    const url = `ws://127.0.0.1:${wsPort}/app/${key}?${opts.query ?? 'protocol=7&client=js&version=8.6.0'}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts.origin ? { origin: opts.origin } : {});
      const wire = new PusherWire(ws);
      ws.once('open', () => resolve(wire));
      ws.once('error', reject);
    });
  }

  /** Connected and past connection_established: the socket id. */
  static async established(wsPort: number, key: string): Promise<{ wire: PusherWire; socketId: string }> {
    const wire = await PusherWire.connect(wsPort, key);
    const m = await wire.next('pusher:connection_established');
    return { wire, socketId: (JSON.parse(m.data as string) as { socket_id: string }).socket_id };
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next message (of this event), in arrival order. */
  async next(event?: string, timeoutMs = 3000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.messages.length) {
        const m = this.messages[this.cursor++]!;
        if (event === undefined || m.event === event) return m;
      }
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting for ${event ?? 'a message'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${event ?? 'a message'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(msg: object | string | Buffer): void {
    this.ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
  }

  /** Resolves once the server has handled everything sent before (a ping round trip). */
  async sync(): Promise<void> {
    this.send({ event: 'pusher:ping', data: {} });
    await this.next('pusher:pong');
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
