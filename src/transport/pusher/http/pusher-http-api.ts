import type { FastifyInstance } from 'fastify';
import type { PusherTelemetry } from '../pusher-telemetry.js';
import { registerChannelsRoutes } from './channels-routes.js';
import { registerEventsRoutes } from './events-routes.js';
import type { SignatureSettings } from './signed-request.js';
import type { TriggerDeps } from './trigger-plan.js';
import { registerUsersRoutes } from './users-routes.js';

export interface PusherHttpApiDeps extends TriggerDeps {
  signature: SignatureSettings;
  telemetry: PusherTelemetry;
}

// Room for the largest batch: every event at the app's data limit, its quotes and backslashes
// escaped once more in the JSON body (a JSON string inside JSON: about twice the size at most in
// practice), plus the envelope. Each event's data is checked against the limit afterwards.
const ENVELOPE_BYTES = 4096;

/**
 * The Pusher HTTP API, /apps/:appId/..., in a scope of its own whose bodies stay raw strings:
 * the signature (body_md5) covers the exact bytes, so they are parsed only after it is checked.
 */
export async function registerPusherHttpApi(app: FastifyInstance, deps: PusherHttpApiDeps): Promise<void> {
  const apps = deps.signature.directory.apps;
  const bodyLimit = Math.max(...apps.map((a) => (a.maxEventPayloadBytes * 2 + ENVELOPE_BYTES) * Math.max(1, a.maxEventBatchSize)));
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));
    registerEventsRoutes(scope, deps);
    registerChannelsRoutes(scope, deps);
    registerUsersRoutes(scope, deps);
  });
}
