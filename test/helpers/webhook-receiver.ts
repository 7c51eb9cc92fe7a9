import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Pusher from 'pusher';
import type { WebhookEvent } from '../../src/transport/pusher/webhooks/webhook-event.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  valid: boolean;
  events: WebhookEvent[];
}

export type Answer = number | 'hang';

/** A webhook receiver on a free port that checks each signature with the pusher SDK's webhook(). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly hanging: ServerResponse[] = [];
  private readonly server: Server;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly sdk: Pusher,
    private readonly answer: (n: number) => Answer = () => 200,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const valid = this.sdk.webhook({ headers: req.headers, rawBody: body }).isValid();
        const events = valid ? (JSON.parse(body) as { events: WebhookEvent[] }).events : [];
        this.received.push({ headers: req.headers, body, valid, events });
        const a = this.answer(this.received.length);
        if (a === 'hang') this.hanging.push(res);
        else if (a >= 300 && a < 400) res.writeHead(a, { location: 'http://127.0.0.1:1/' }).end();
        else res.writeHead(a).end();
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/pusher/webhook?token=abc`;
  }

  async requests(n: number): Promise<Received[]> {
    while (this.received.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

