import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { addressKey } from '../../core/address-key.js';
import { ErrorCodes } from '../../protocol/index.js';

const WINDOW_MS = 60_000;
// Addresses whose refusal was logged in the current window: one line per address, not per request.
const MAX_LOGGED = 10_000;

/**
 * Per-address request limit on /api/* (snapshots and MJPEG starts included) and on the room
 * channels' auth endpoint /pusher/auth: `perMinute`
 * requests per minute, then 429 RATE_LIMITED with Retry-After. Pages, static files, health
 * checks and /metrics are not limited. Addresses are keyed as for connection limits (IPv6 per
 * /64); behind TRUST_PROXY, fastify's `req.ip` is the X-Forwarded-For client.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  const logged = new Map<string, number>();
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (req) => addressKey(req.ip),
    allowList: (req) => !req.url.startsWith('/api/') && !req.url.startsWith('/pusher/'),
    errorResponseBuilder: (req, ctx) => {
      const key = addressKey(req.ip);
      const now = Date.now();
      if ((logged.get(key) ?? 0) < now) {
        if (logged.size >= MAX_LOGGED) logged.clear();
        logged.set(key, now + ctx.ttl);
        req.log.info({ address: req.ip, code: 'RATE_LIMITED', max: ctx.max }, 'http rate limit reached');
      }
      return Object.assign(new Error(ErrorCodes.RATE_LIMITED.message), { statusCode: 429, code: 'RATE_LIMITED' });
    },
  });
}
