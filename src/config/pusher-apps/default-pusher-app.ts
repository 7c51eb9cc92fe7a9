import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../load-config.js';

export interface AppCredentialsRecord {
  id: string;
  key: string;
  secret: string;
}

export const DEFAULT_APP_FILE = 'pusher-app.json';

/**
 * The app used when none is configured: generated on first start and kept in DATA_DIR, readable
 * by its owner only, so that the credentials pasted into a Laravel .env survive restarts.
 * Shapes follow Reverb's installer: a numeric id, a 20-character key; the secret is 32 hex chars.
 */
export function resolveDefaultPusherApp(dataDir: string): { credentials: AppCredentialsRecord; file: string; generated: boolean } {
  const file = join(dataDir, DEFAULT_APP_FILE);
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`Invalid configuration: ${file} (the default Pusher app in DATA_DIR) is not valid JSON: ${(err as Error).message}; delete it to generate a new app`);
    }
    const c = parsed as Partial<AppCredentialsRecord> | null;
    if (!c || typeof c.id !== 'string' || typeof c.key !== 'string' || typeof c.secret !== 'string') {
      throw new ConfigError(`Invalid configuration: ${file} (the default Pusher app in DATA_DIR) must hold {"id", "key", "secret"} strings; delete it to generate a new app`);
    }
    return { credentials: { id: c.id, key: c.key, secret: c.secret }, file, generated: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const credentials = {
    id: String(randomInt(100_000, 1_000_000)),
    key: randomBytes(10).toString('hex'),
    secret: randomBytes(16).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { credentials, file, generated: true };
}
