// What the webhook sender reports; the metrics adapter implements it (the sender never imports
// a metrics library). Calls are rare (per batch), but must not throw.

/** refused: the receiver answered a status retrying cannot fix; exhausted: attempts or time ran out; shutdown: the server stopped first. */
export type WebhookFailure = 'refused' | 'exhausted' | 'shutdown';

export interface WebhookTelemetry {
  /** A batch was delivered (2xx). */
  webhookSent(appId: string, events: number): void;
  /** An attempt failed and will be made again. */
  webhookRetried(appId: string): void;
  /** A batch was given up. */
  webhookFailed(appId: string, events: number, reason: WebhookFailure): void;
  /** Batches were dropped unsent, oldest first, because a receiver's queue was full. */
  webhookDropped(appId: string, events: number): void;
}

const noop = (): void => {};
export const noopWebhookTelemetry: WebhookTelemetry = {
  webhookSent: noop,
  webhookRetried: noop,
  webhookFailed: noop,
  webhookDropped: noop,
};
