// Signed HTTP API requests (/apps/:id/...), as the Pusher HTTP API reference defines them and
// the server SDKs send them. The query carries auth_key, auth_timestamp, auth_version=1.0, a
// body_md5 when there is a body, and auth_signature = HMAC-SHA256 hex over
//   METHOD \n PATH \n every other parameter, keys lower-cased and sorted, as key=value joined by &
// with values as they are (not URL-escaped). Beyond what other servers check, auth_timestamp
// must lie within a window around the server clock, so a captured request cannot be replayed
// later; inside the window a replay has the effect of a retried request.

import type { AppCredentials } from './channel-auth.js';
import { hmacSha256Hex, md5Hex, signatureMatches } from './hmac.js';

export const AUTH_VERSION = '1.0';

export interface SignableRequest {
  method: string;
  /** The request path as received, without the query: /apps/123/events */
  path: string;
  /** The raw query string, without the leading "?". */
  query: string;
  /** The raw body; empty or null when there is none. */
  body?: string | Uint8Array | null;
}

export type RequestRejection =
  | 'missing_auth' // a required auth_* parameter is absent
  | 'duplicate_param' // a parameter appears twice (or twice after lower-casing)
  | 'bad_version' // auth_version is not 1.0
  | 'wrong_key' // auth_key is not this app's key
  | 'bad_timestamp' // auth_timestamp is not a whole number of seconds
  | 'expired' // auth_timestamp is outside the window
  | 'body_md5_mismatch' // body_md5 missing for a body, or not the body's MD5
  | 'bad_signature';

export type RequestVerdict = { ok: true; params: ReadonlyMap<string, string> } | { ok: false; reason: RequestRejection };

export interface VerifyOptions {
  nowSeconds: number;
  windowSeconds: number;
}

/** The string the signature covers. `params` must not contain auth_signature. */
export function requestStringToSign(method: string, path: string, params: ReadonlyMap<string, string>): string {
  const keys = [...params.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method.toUpperCase()}\n${path}\n${keys.map((k) => `${k}=${params.get(k)}`).join('&')}`;
}

function bodyLength(body: SignableRequest['body']): number {
  if (!body) return 0;
  return typeof body === 'string' ? body.length : body.byteLength;
}

/**
 * Checks a request's signature for one app. On success returns the parameters (keys lower-cased,
 * auth_* included) so that the handler reads exactly what was signed.
 */
export function verifySignedRequest(app: AppCredentials, req: SignableRequest, opts: VerifyOptions): RequestVerdict {
  const params = new Map<string, string>();
  for (const [rawKey, value] of new URLSearchParams(req.query)) {
    const key = rawKey.toLowerCase();
    if (params.has(key)) return { ok: false, reason: 'duplicate_param' };
    params.set(key, value);
  }
  const signature = params.get('auth_signature');
  const key = params.get('auth_key');
  const timestamp = params.get('auth_timestamp');
  const version = params.get('auth_version');
  if (signature === undefined || key === undefined || timestamp === undefined || version === undefined) {
    return { ok: false, reason: 'missing_auth' };
  }
  if (version !== AUTH_VERSION) return { ok: false, reason: 'bad_version' };
  if (key !== app.key) return { ok: false, reason: 'wrong_key' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const bodyMd5 = params.get('body_md5');
  if (bodyLength(req.body) > 0 || bodyMd5 !== undefined) {
    if (bodyMd5 === undefined || bodyMd5 !== md5Hex(req.body ?? '')) return { ok: false, reason: 'body_md5_mismatch' };
  }
  params.delete('auth_signature');
  const expected = hmacSha256Hex(app.secret, requestStringToSign(req.method, req.path, params));
  if (!signatureMatches(expected, signature)) return { ok: false, reason: 'bad_signature' };
  // Checked after the signature, so that an unsigned request learns nothing about the clock.
  if (Math.abs(opts.nowSeconds - Number(timestamp)) > opts.windowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, params };
}

/**
 * Signs a request the way the Pusher SDKs do; returns the query string to send (auth
 * parameters and signature appended to `params`). For tests and command-line tools.
 */
export function signRequest(
  app: AppCredentials,
  req: { method: string; path: string; params?: Record<string, string>; body?: string | null },
  nowSeconds: number,
): string {
  const params = new Map<string, string>(Object.entries(req.params ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  params.set('auth_key', app.key);
  params.set('auth_timestamp', String(Math.floor(nowSeconds)));
  params.set('auth_version', AUTH_VERSION);
  if (req.body) params.set('body_md5', md5Hex(req.body));
  const signature = hmacSha256Hex(app.secret, requestStringToSign(req.method, req.path, params));
  const query = new URLSearchParams([...params, ['auth_signature', signature]]);
  return query.toString();
}
