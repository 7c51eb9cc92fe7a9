// Delivery to one webhook receiver: batches go out one at a time, in order. A failed attempt
// (network error, timeout, 408, 429 or 5xx) is retried after an exponential back-off until
// `maxAttempts` or `maxRetryMs` since the first attempt run out; other statuses are final. While
// a receiver is down its batches wait in a queue bounded in bytes; when full, the oldest
// waiting batch is dropped (and counted), so a dead receiver costs bounded memory.

import type { WebhookTelemetry } from './webhook-telemetry.js';

export interface DeliveryOptions {
  maxAttempts: number;
  maxRetryMs: number;
  /** First back-off; each retry doubles it (with up to 50% less, at random, so receivers are not hit in step). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Bytes of bodies waiting for this receiver. */
  maxQueuedBytes: number;
}

export interface Batch {
  body: string;
  events: number;
}

export interface DeliveryLog {
  warn(obj: object, msg: string): void;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; why: string };

export class WebhookDelivery {
  private readonly queue: Batch[] = [];
  private queuedBytes = 0;
  private running = false;
  private closed = false;
  private readonly abort = new AbortController();
  private wakeRetry: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly appId: string,
    private readonly url: string,
    private readonly headers: (body: string) => Record<string, string>,
    private readonly opts: DeliveryOptions,
    private readonly telemetry: WebhookTelemetry,
    private readonly log: DeliveryLog | null,
  ) {}

  /** Where logs may say the batch went: the receiver's origin and path, never its query (it may hold a token). */
  get target(): string {
    const u = new URL(this.url);
    return u.origin + u.pathname;
  }

  enqueue(batch: Batch): void {
    if (this.closed) {
      this.telemetry.webhookFailed(this.appId, batch.events, 'shutdown');
      return;
    }
    this.queue.push(batch);
    this.queuedBytes += batch.body.length;
    while (this.queuedBytes > this.opts.maxQueuedBytes && this.queue.length > 1) {
      const dropped = this.queue.shift()!;
      this.queuedBytes -= dropped.body.length;
      this.telemetry.webhookDropped(this.appId, dropped.events);
    }
    if (!this.running) void this.run();
  }

  get idle(): boolean {
    return !this.running && this.queue.length === 0;
  }

  /** Resolves once nothing waits and nothing is in flight. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops at once: the attempt in flight is aborted, waiting batches are counted as failed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.wakeRetry?.();
    for (const b of this.queue.splice(0)) this.telemetry.webhookFailed(this.appId, b.events, 'shutdown');
    this.queuedBytes = 0;
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.shift()!;
      this.queuedBytes -= batch.body.length;
      await this.deliver(batch);
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async deliver(batch: Batch): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(batch.body);
      if (outcome.ok) {
        this.telemetry.webhookSent(this.appId, batch.events);
        return;
      }
      if (this.closed) {
        this.telemetry.webhookFailed(this.appId, batch.events, 'shutdown');
        return;
      }
      const delay = Math.min(this.opts.baseDelayMs * 2 ** (attempt - 1), this.opts.maxDelayMs) * (0.5 + Math.random() / 2);
      const giveUp = !outcome.retry || attempt >= this.opts.maxAttempts || Date.now() - started + delay > this.opts.maxRetryMs;
      if (giveUp) {
        this.telemetry.webhookFailed(this.appId, batch.events, outcome.retry ? 'exhausted' : 'refused');
        this.log?.warn({ webhook: this.target, attempts: attempt, why: outcome.why, events: batch.events }, 'webhook batch given up');
        return;
      }
      this.telemetry.webhookRetried(this.appId);
      await this.sleep(delay);
      if (this.closed) {
        this.telemetry.webhookFailed(this.appId, batch.events, 'shutdown');
        return;
      }
    }
  }

  private async attempt(body: string): Promise<Outcome> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: this.headers(body),
        body,
        // A redirect is the receiver's misconfiguration; following it would send signed events elsewhere.
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs)]),
      });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const retry = res.status === 408 || res.status === 429 || res.status >= 500;
      return { ok: false, retry, why: `status ${res.status}` };
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? 'timeout' : ((e.cause as Error | undefined)?.message ?? e.message);
      return { ok: false, retry: true, why };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeRetry = null;
        resolve();
      }, ms);
      t.unref();
      this.wakeRetry = () => {
        clearTimeout(t);
        this.wakeRetry = null;
        resolve();
      };
    });
  }
}
