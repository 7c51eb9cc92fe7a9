import pino, { type Logger } from 'pino';
import type { Config } from '../config/schema.js';

function censorValue(value: unknown, path: string[]): unknown {
  if (path[path.length - 1] === 'url' && typeof value === 'string') return value.split('?')[0];
  return '[redacted]';
}

/** The process logger. Stream keys, viewer tokens and secrets never reach a log line. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'beamcast' },
    // fastify logs `req.url` on server errors; a page URL can carry ?key= or ?token=, so only the
    // path is kept. An Authorization header holds a stream key.
    redact: {
      paths: ['key', '*.key', 'token', '*.token', 'secret', '*.secret', 'streamSecret', 'authorization', '*.authorization', 'req.headers.authorization', 'req.url'],
      censor: censorValue,
    },
    ...(config.logPretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  });
}
