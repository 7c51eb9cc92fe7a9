// Triggers events through a Pusher HTTP API: POST /apps/ID/events, signed the way the server SDKs
// sign (beamcast's own signing module), over keep-alive connections. The body is what the `pusher`
// SDK sends for trigger(channel, name, data) with string data.
import { Agent, request } from 'node:http';
import { signRequest } from '../src/transport/pusher/signing/request-signature.js';
import { Histogram } from './histogram.js';
import { wallNow } from './lean-socket.js';
import type { PusherApp } from './pusher-targets.js';

export interface TriggerStats {
  sent: number;
  /** Answers by HTTP status ("error" when the request failed without one). */
  statuses: Record<string, number>;
  /** Request sent → response complete. */
  responseMs: Histogram;
  /** The first refusal's body, to show why. */
  firstRefusal: string | null;
}

export class PusherTrigger {
  readonly stats: TriggerStats = { sent: 0, statuses: {}, responseMs: new Histogram(), firstRefusal: null };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private readonly pending = new Set<Promise<void>>();
  private readonly path: string;
  private readonly url: URL;

  constructor(
    httpBase: string,
    private readonly app: PusherApp,
  ) {
    this.url = new URL(httpBase);
    this.path = `/apps/${encodeURIComponent(app.id)}/events`;
  }

  /** Sends one event; `data(sentAt)` builds its data from the send time, taken just before the request goes out. */
  trigger(channel: string, name: string, data: (sentAt: number) => string): void {
    const sentAt = wallNow();
    const body = JSON.stringify({ name, channels: [channel], data: data(sentAt) });
    const query = signRequest(this.app, { method: 'POST', path: this.path, body }, Math.floor(Date.now() / 1000));
    this.stats.sent++;
    const done = new Promise<void>((resolve) => {
      let counted = false;
      const count = (status: string, text: string | null) => {
        if (counted) return;
        counted = true;
        this.stats.statuses[status] = (this.stats.statuses[status] ?? 0) + 1;
        if (text !== null && this.stats.firstRefusal === null) this.stats.firstRefusal = `${status}: ${text.slice(0, 300)}`;
        this.stats.responseMs.recordMs(wallNow() - sentAt);
        resolve();
      };
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port || 80,
          method: 'POST',
          path: `${this.path}?${query}`,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
            count(String(res.statusCode ?? 'error'), ok ? null : Buffer.concat(chunks).toString('utf8'));
          });
          res.on('error', (err) => count('error', err.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
      req.on('error', (err) => count('error', err.message));
      req.end(body);
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  /** Until every request sent has its answer (each is bounded by its 10 s timeout). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  close(): void {
    this.agent.destroy();
  }
}
