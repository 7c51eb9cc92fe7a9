import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PusherApp } from '../../../config/pusher-apps/pusher-app.js';
import type { PusherAppDirectory } from '../pusher-app-directory.js';
import { verifySignedRequest, type RequestRejection } from '../signing/request-signature.js';
import { apiError } from './api-reply.js';

export interface SignedRequest {
  app: PusherApp;
  /** The query parameters as signed (keys lower-cased, auth_* included). */
  params: ReadonlyMap<string, string>;
  /** The raw body as signed ('' when none). */
  body: string;
}

export interface SignatureSettings {
  directory: PusherAppDirectory;
  /** PUSHER_TIMESTAMP_WINDOW. */
  windowSeconds: number;
  nowSeconds?: () => number;
}

const WHY: Record<Exclude<RequestRejection, 'expired'>, string> = {
  missing_auth: 'auth_key, auth_timestamp, auth_version and auth_signature are required',
  duplicate_param: 'a query parameter is given twice',
  bad_version: 'auth_version must be 1.0',
  wrong_key: "auth_key is not this app's key",
  bad_timestamp: 'auth_timestamp must be a Unix time in seconds',
  body_md5_mismatch: 'body_md5 is missing or does not match the body',
  bad_signature: 'invalid signature',
};

/**
 * Checks a /apps/:appId/... request: the app exists and is enabled, and the request is signed
 * with its secret over the raw method, path, query and body, within the timestamp window.
 * Answers the refusal itself and returns null, or returns what was signed.
 */
export function verifyApiRequest(req: FastifyRequest<{ Params: { appId: string } }>, reply: FastifyReply, s: SignatureSettings): SignedRequest | null {
  const app = s.directory.byId(req.params.appId);
  if (!app) {
    apiError(reply, 404, 'unknown app');
    return null;
  }
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const body = typeof req.body === 'string' ? req.body : '';
  const nowSeconds = s.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  const verdict = verifySignedRequest(app, { method: req.method, path, query, body }, { nowSeconds, windowSeconds: s.windowSeconds });
  if (!verdict.ok) {
    req.log.info({ app: app.id, url: path, reason: verdict.reason }, 'pusher api request refused');
    const why = verdict.reason === 'expired' ? `auth_timestamp is more than ${s.windowSeconds} s away from the server's clock` : WHY[verdict.reason];
    apiError(reply, 401, why);
    return null;
  }
  if (!app.enabled) {
    apiError(reply, 403, 'app disabled');
    return null;
  }
  return { app, params: verdict.params, body };
}

/** The signed body as a JSON object, or null. */
export function jsonBody(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
