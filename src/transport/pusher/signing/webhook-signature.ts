// Webhook requests carry X-Pusher-Key (the app key) and X-Pusher-Signature: HMAC-SHA256 of the
// exact body bytes, keyed by the app secret, in hex; receivers check it with the SDK's webhook().

import type { AppCredentials } from './channel-auth.js';
import { hmacSha256Hex, signatureMatches } from './hmac.js';

export function webhookHeaders(app: AppCredentials, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-pusher-key': app.key,
    'x-pusher-signature': hmacSha256Hex(app.secret, body),
  };
}

export function verifyWebhookSignature(app: AppCredentials, key: unknown, signature: unknown, body: string): boolean {
  return key === app.key && signatureMatches(hmacSha256Hex(app.secret, body), signature);
}
