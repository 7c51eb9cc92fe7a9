// Webhooks of every app: events are collected per app for up to `batchMs` or `batchMax` events,
// then each of the app's webhooks gets one POST {"time_ms", "events"} with the events it asked
// for (event_types, channel filter), signed with X-Pusher-Key / X-Pusher-Signature.

import type { PusherApp, PusherWebhook } from '../../../config/pusher-apps/pusher-app.js';
import { webhookHeaders } from '../signing/webhook-signature.js';
import { WebhookDelivery, type DeliveryLog, type DeliveryOptions } from './webhook-delivery.js';
import type { WebhookEvent, WebhookEventName } from './webhook-event.js';
import { noopWebhookTelemetry, type WebhookTelemetry } from './webhook-telemetry.js';

export interface WebhookSenderOptions extends Partial<DeliveryOptions> {
  apps: readonly PusherApp[];
  telemetry?: WebhookTelemetry;
  log?: DeliveryLog;
  /** Longest an event waits for its batch to fill. */
  batchMs?: number;
  /** Events in one batch at most. */
  batchMax?: number;
}

export const WEBHOOK_DEFAULTS = {
  batchMs: 100,
  batchMax: 50,
  maxAttempts: 5,
  maxRetryMs: 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 16_000,
  timeoutMs: 5000,
  maxQueuedBytes: 4 * 1024 * 1024,
} as const;

interface Target {
  hook: PusherWebhook;
  delivery: WebhookDelivery;
}

interface AppHooks {
  app: PusherApp;
  wanted: ReadonlySet<WebhookEventName>;
  targets: Target[];
  pending: WebhookEvent[];
  timer: NodeJS.Timeout | null;
}

export class WebhookSender {
  private readonly byApp = new Map<string, AppHooks>();
  private readonly batchMs: number;
  private readonly batchMax: number;
  private closed = false;

  constructor(opts: WebhookSenderOptions) {
    this.batchMs = opts.batchMs ?? WEBHOOK_DEFAULTS.batchMs;
    this.batchMax = opts.batchMax ?? WEBHOOK_DEFAULTS.batchMax;
    const delivery: DeliveryOptions = {
      maxAttempts: opts.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts,
      maxRetryMs: opts.maxRetryMs ?? WEBHOOK_DEFAULTS.maxRetryMs,
      baseDelayMs: opts.baseDelayMs ?? WEBHOOK_DEFAULTS.baseDelayMs,
      maxDelayMs: opts.maxDelayMs ?? WEBHOOK_DEFAULTS.maxDelayMs,
      timeoutMs: opts.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs,
      maxQueuedBytes: opts.maxQueuedBytes ?? WEBHOOK_DEFAULTS.maxQueuedBytes,
    };
    const telemetry = opts.telemetry ?? noopWebhookTelemetry;
    for (const app of opts.apps) {
      if (app.webhooks.length === 0) continue;
      const targets = app.webhooks.map((hook) => ({
        hook,
        delivery: new WebhookDelivery(app.id, hook.url, (body) => ({ ...hook.headers, ...webhookHeaders(app, body) }), delivery, telemetry, opts.log ?? null),
      }));
      const wanted = new Set(app.webhooks.flatMap((h) => h.eventTypes));
      this.byApp.set(app.id, { app, wanted, targets, pending: [], timer: null });
    }
  }

  /** Whether any webhook of the app reports this event, so callers can skip building it. */
  wants(appId: string, name: WebhookEventName): boolean {
    return this.byApp.get(appId)?.wanted.has(name) ?? false;
  }

  send(appId: string, event: WebhookEvent): void {
    const a = this.byApp.get(appId);
    if (!a || this.closed || !a.wanted.has(event.name)) return;
    a.pending.push(event);
    if (a.pending.length >= this.batchMax) {
      this.cut(a);
    } else if (!a.timer) {
      a.timer = setTimeout(() => this.cut(a), this.batchMs);
      a.timer.unref();
    }
  }

  /** Sends every pending batch now. */
  flush(): void {
    for (const a of this.byApp.values()) this.cut(a);
  }

  /** Resolves when every batch so far has been delivered or given up. */
  async idle(): Promise<void> {
    this.flush();
    await Promise.all([...this.byApp.values()].flatMap((a) => a.targets.map((t) => t.delivery.whenIdle())));
  }

  /** Flushes, waits up to `timeoutMs` for deliveries, then stops the rest (counted as failed). */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    for (const a of this.byApp.values()) for (const t of a.targets) t.delivery.close();
  }

  private cut(a: AppHooks): void {
    if (a.timer) {
      clearTimeout(a.timer);
      a.timer = null;
    }
    if (a.pending.length === 0) return;
    const events = a.pending;
    a.pending = [];
    const timeMs = Date.now();
    for (const t of a.targets) {
      const mine = events.filter((e) => matches(t.hook, e));
      if (mine.length > 0) t.delivery.enqueue({ body: JSON.stringify({ time_ms: timeMs, events: mine }), events: mine.length });
    }
  }
}

function matches(hook: PusherWebhook, e: WebhookEvent): boolean {
  if (!hook.eventTypes.includes(e.name)) return false;
  if (hook.channelPrefix !== null && !e.channel.startsWith(hook.channelPrefix)) return false;
  return hook.channelSuffix === null || e.channel.endsWith(hook.channelSuffix);
}
