import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free port to a local port, which a test can cut off as a network partition
 * would, while the server behind it keeps running (and its data): `cut()` resets the open
 * connections, and holds new ones without an answer; `restore()` connects those held at once.
 */
export class TcpProxy {
  private readonly open = new Set<Socket>();
  private held: Socket[] = [];
  private isCut = false;

  private constructor(
    private readonly server: Server,
    private readonly target: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, targetPort);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.isCut = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  restore(): void {
    this.isCut = false;
    const held = this.held;
    this.held = [];
    for (const client of held) this.connect(client);
  }

  async close(): Promise<void> {
    this.cut();
    for (const client of this.held) client.destroy();
    this.held = [];
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.isCut) this.held.push(client);
    else this.connect(client);
  }

  private connect(client: Socket): void {
    if (client.destroyed) return;
    const upstream = createConnection(this.target, '127.0.0.1');
    upstream.on('error', () => {});
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('close', () => {
        this.open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}
