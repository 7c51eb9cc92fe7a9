import type { PusherErrorName, PusherSubscriptionErrorName } from '../../protocol/pusher/codes.js';
import { noopWebhookTelemetry, type WebhookTelemetry } from './webhooks/webhook-telemetry.js';

/** Why a Pusher connection ended: the client left, or the server closed it with this catalog code. */
export type PusherCloseReason = 'client' | PusherErrorName;

/**
 * What the Pusher transport reports; the metrics adapter implements it (the transport never
 * imports a metrics library). O(1) calls, never throwing.
 */
export interface PusherTelemetry extends WebhookTelemetry {
  connectionOpened(): void;
  connectionClosed(reason: PusherCloseReason): void;
  /** A connection refused before it was established (unknown app, origin, quota, ...). */
  connectionRefused(reason: PusherErrorName): void;
  subscriptionRefused(reason: PusherSubscriptionErrorName): void;
  /** Events accepted: triggered through the HTTP API, or client events. */
  eventsAccepted(source: 'api' | 'client', count: number): void;
}

const noop = (): void => {};
export const noopPusherTelemetry: PusherTelemetry = {
  ...noopWebhookTelemetry,
  connectionOpened: noop,
  connectionClosed: noop,
  connectionRefused: noop,
  subscriptionRefused: noop,
  eventsAccepted: noop,
};
