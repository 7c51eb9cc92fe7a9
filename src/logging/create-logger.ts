import pino, { type Logger } from 'pino';
import type { Config } from '../config/schema.js';

/** The process logger. Stream keys and secrets never reach a log line. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'beamcast' },
    redact: { paths: ['key', '*.key', 'secret', '*.secret', 'streamSecret'], censor: '[redacted]' },
    ...(config.logPretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  });
}
