// Where the Pusher apps come from, checked once at boot:
//   PUSHER_APP_ID + PUSHER_APP_KEY + PUSHER_APP_SECRET: one app, every other setting default;
//   APPS_FILE: a JSON file {"apps": [...]} with soketi's or Reverb's field names;
//   both: the union (ids and keys must stay unique);
//   neither: the default app kept in DATA_DIR, generated on first start.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../load-config.js';
import { resolveDefaultPusherApp } from './default-pusher-app.js';
import { parsePusherApp } from './parse-pusher-app.js';
import type { PusherApp } from './pusher-app.js';

export interface PusherAppsSettings {
  pusherAppId: string;
  pusherAppKey: string;
  pusherAppSecret: string;
  appsFile: string;
  dataDir: string;
}

export interface LoadedPusherApps {
  apps: readonly PusherApp[];
  /** 'default': the DATA_DIR app (generated now when `generated`). */
  source: 'env' | 'file' | 'env+file' | 'default';
  /** The file the apps came from (APPS_FILE or the DATA_DIR app), if any. */
  file: string | null;
  generated: boolean;
  /** Fields that were accepted but are not used, for the startup log. */
  warnings: readonly string[];
}

const ENV_FIELDS = { id: 'PUSHER_APP_ID', key: 'PUSHER_APP_KEY', secret: 'PUSHER_APP_SECRET' } as const;

export function loadPusherApps(s: PusherAppsSettings): LoadedPusherApps {
  const apps: PusherApp[] = [];
  const warnings: string[] = [];
  const fromEnv = envApp(s);
  if (fromEnv) apps.push(fromEnv);
  let file: string | null = null;
  if (s.appsFile) {
    file = resolve(s.appsFile);
    for (const parsed of fileApps(file, s.appsFile)) {
      apps.push(parsed.app);
      warnings.push(...parsed.warnings);
    }
  }
  if (apps.length === 0) {
    const d = resolveDefaultPusherApp(s.dataDir);
    const { app } = parsePusherApp(d.credentials, d.file);
    return freeze({ apps: [app], source: 'default', file: d.file, generated: d.generated, warnings: [] });
  }
  checkUnique(apps, s.appsFile);
  const source = fromEnv && file ? 'env+file' : fromEnv ? 'env' : 'file';
  return freeze({ apps, source, file, generated: false, warnings });
}

function envApp(s: PusherAppsSettings): PusherApp | null {
  const values = { id: s.pusherAppId, key: s.pusherAppKey, secret: s.pusherAppSecret };
  const set = (Object.keys(values) as (keyof typeof values)[]).filter((k) => values[k] !== '');
  if (set.length === 0) return null;
  if (set.length < 3) {
    const missing = (Object.keys(values) as (keyof typeof values)[]).filter((k) => values[k] === '').map((k) => ENV_FIELDS[k]);
    throw new ConfigError(`Invalid configuration: PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET go together; ${missing.join(' and ')} missing`);
  }
  const toEnv = (name: string): string => ENV_FIELDS[name as keyof typeof ENV_FIELDS] ?? name;
  return parsePusherApp(values, 'the environment', toEnv).app;
}

function fileApps(file: string, shown: string): ReturnType<typeof parsePusherApp>[] {
  const where = `APPS_FILE (${shown})`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${where} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${where} is not valid JSON: ${(err as Error).message}`);
  }
  const list = (parsed as { apps?: unknown } | null)?.apps;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(list)) {
    throw new ConfigError(`Invalid configuration: ${where} must be a JSON object {"apps": [{"id", "key", "secret", ...}]}`);
  }
  const extra = Object.keys(parsed).filter((k) => k !== 'apps');
  if (extra.length > 0) throw new ConfigError(`Invalid configuration: ${where} has an unknown field ${JSON.stringify(extra[0])}; only "apps" is read`);
  if (list.length === 0) throw new ConfigError(`Invalid configuration: ${where} lists no apps`);
  return list.map((entry, i) => parsePusherApp(entry, `${where} apps[${i}]`));
}

function checkUnique(apps: readonly PusherApp[], appsFile: string): void {
  for (const f of ['id', 'key'] as const) {
    const seen = new Set<string>();
    for (const a of apps) {
      if (seen.has(a[f])) {
        throw new ConfigError(`Invalid configuration: two apps have the ${f} ${JSON.stringify(a[f])} (${appsFile ? `APPS_FILE (${appsFile})` : 'the environment'}); each app needs its own`);
      }
      seen.add(a[f]);
    }
  }
}

function freeze(l: LoadedPusherApps): LoadedPusherApps {
  for (const a of l.apps) {
    Object.freeze(a.allowedOrigins);
    for (const w of a.webhooks) {
      Object.freeze(w.eventTypes);
      Object.freeze(w.headers);
      Object.freeze(w);
    }
    Object.freeze(a.webhooks);
    if (a.messageRateLimit) Object.freeze(a.messageRateLimit);
    Object.freeze(a);
  }
  Object.freeze(l.apps);
  Object.freeze(l.warnings);
  return Object.freeze(l);
}
