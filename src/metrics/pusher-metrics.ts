import { Counter, Gauge, type Registry } from 'prom-client';
import { PusherErrorCodes, PusherSubscriptionErrors } from '../protocol/pusher/codes.js';
import type { PusherCloseReason, PusherTelemetry } from '../transport/pusher/pusher-telemetry.js';
import type { PusherStats } from '../transport/pusher/pusher-transport.js';
import type { WebhookFailure } from '../transport/pusher/webhooks/webhook-telemetry.js';
import { FastCounter } from './fast-counter.js';

const ERROR_NAMES = Object.keys(PusherErrorCodes);
const SUBSCRIPTION_ERRORS = Object.keys(PusherSubscriptionErrors);
const CLOSE_REASONS: readonly PusherCloseReason[] = ['client', 'SLOW_CONSUMER', 'SHUTTING_DOWN', 'PONG_NOT_RECEIVED', 'INACTIVE', 'POLICY_VIOLATION'];
const REFUSALS = ['APP_NOT_FOUND', 'APP_DISABLED', 'APP_OVER_QUOTA', 'UNSUPPORTED_PROTOCOL', 'ORIGIN_NOT_ALLOWED', 'OVER_CAPACITY'];
const FAILURES: readonly WebhookFailure[] = ['refused', 'exhausted', 'shutdown'];

/**
 * The Pusher endpoint's counters and the webhook sender's (its WebhookTelemetry): O(1) adds to
 * typed arrays, read when scraped. No app label: an APPS_FILE may list many apps.
 */
export class PromPusherTelemetry implements PusherTelemetry {
  readonly opened: FastCounter;
  readonly closed: FastCounter;
  readonly refused: FastCounter;
  readonly subscriptionsRefused: FastCounter;
  readonly events: FastCounter;
  readonly webhookBatches: FastCounter;
  readonly webhookEvents: FastCounter;
  readonly webhookFailures: FastCounter;

  constructor(registry: Registry) {
    this.opened = new FastCounter(registry, 'beamcast_pusher_connections_opened_total', 'Pusher connections established.');
    this.closed = new FastCounter(registry, 'beamcast_pusher_connections_closed_total', 'Pusher connections that ended, by who closed them and why.', [
      { name: 'reason', values: CLOSE_REASONS, accept: ERROR_NAMES },
    ]);
    this.refused = new FastCounter(registry, 'beamcast_pusher_connections_refused_total', 'Pusher connections refused before they were established, by code.', [
      { name: 'reason', values: REFUSALS, accept: ERROR_NAMES },
    ]);
    this.subscriptionsRefused = new FastCounter(registry, 'beamcast_pusher_subscriptions_refused_total', 'Pusher subscriptions refused, by subscription error.', [
      { name: 'reason', values: ['AUTH_FAILED', 'BAD_CHANNEL_NAME'], accept: SUBSCRIPTION_ERRORS },
    ]);
    this.events = new FastCounter(registry, 'beamcast_pusher_events_total', 'Pusher events accepted: triggered through the HTTP API, or client events.', [
      { name: 'source', values: ['api', 'client'] },
    ]);
    this.webhookBatches = new FastCounter(registry, 'beamcast_pusher_webhook_batches_total', 'Webhook batches by outcome: sent, retried (an attempt to be made again), failed, dropped (queue full).', [
      { name: 'outcome', values: ['sent', 'retried', 'failed', 'dropped'] },
    ]);
    this.webhookEvents = new FastCounter(registry, 'beamcast_pusher_webhook_events_total', 'Webhook events by outcome: sent, failed, dropped.', [
      { name: 'outcome', values: ['sent', 'failed', 'dropped'] },
    ]);
    this.webhookFailures = new FastCounter(registry, 'beamcast_pusher_webhook_failures_total', 'Webhook batches given up, by reason.', [
      { name: 'reason', values: FAILURES },
    ]);
  }

  connectionOpened(): void {
    this.opened.add();
  }

  connectionClosed(reason: PusherCloseReason): void {
    this.closed.add1(reason);
  }

  connectionRefused(reason: string): void {
    this.refused.add1(reason);
  }

  subscriptionRefused(reason: string): void {
    this.subscriptionsRefused.add1(reason);
  }

  eventsAccepted(source: 'api' | 'client', count: number): void {
    this.events.add1(source, count);
  }

  webhookSent(_appId: string, events: number): void {
    this.webhookBatches.add1('sent');
    this.webhookEvents.add1('sent', events);
  }

  webhookRetried(): void {
    this.webhookBatches.add1('retried');
  }

  webhookFailed(_appId: string, events: number, reason: WebhookFailure): void {
    this.webhookBatches.add1('failed');
    this.webhookEvents.add1('failed', events);
    this.webhookFailures.add1(reason);
  }

  webhookDropped(_appId: string, events: number): void {
    this.webhookBatches.add1('dropped');
    this.webhookEvents.add1('dropped', events);
  }
}

/** Gauges and running totals of the Pusher endpoint, read when scraped. */
export function registerPusherGauges(registry: Registry, stats: () => PusherStats): void {
  const gauge = (name: string, help: string, read: (s: PusherStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()));
      },
    });
  gauge('beamcast_pusher_connections', 'Open Pusher connections on this node.', (s) => s.connections);
  gauge('beamcast_pusher_channels', 'Channels with subscribers on this node.', (s) => s.channels);
  gauge('beamcast_pusher_subscriptions', 'Channel subscriptions of the Pusher connections on this node.', (s) => s.subscriptions);
  let seen = 0;
  new Counter({
    name: 'beamcast_pusher_messages_delivered_total',
    help: 'Channel events handed to Pusher connections on this node (one per subscriber).',
    registers: [registry],
    collect() {
      const now = stats().delivered;
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}
