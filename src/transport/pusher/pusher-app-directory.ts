import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import { originMatcher, type OriginCheck } from './allowed-origin.js';

/** The configured apps, found by key (clients) or id (HTTP API), with their origin checks compiled once. */
export class PusherAppDirectory {
  private readonly keys = new Map<string, PusherApp>();
  private readonly ids = new Map<string, PusherApp>();
  private readonly origins = new Map<PusherApp, OriginCheck>();

  constructor(readonly apps: readonly PusherApp[]) {
    for (const app of apps) {
      this.keys.set(app.key, app);
      this.ids.set(app.id, app);
      this.origins.set(app, originMatcher(app.allowedOrigins));
    }
  }

  byKey(key: string): PusherApp | undefined {
    return this.keys.get(key);
  }

  byId(id: string): PusherApp | undefined {
    return this.ids.get(id);
  }

  /** The app a request that names none means: the only one configured, else none. */
  get single(): PusherApp | null {
    return this.apps.length === 1 ? this.apps[0]! : null;
  }

  originAllowed(app: PusherApp, origin: string | undefined | null): boolean {
    return this.origins.get(app)!(origin);
  }

  /** The largest message any app accepts from a client, for the transport's read limit. */
  get maxMessageSize(): number {
    return Math.max(...this.apps.map((a) => a.maxMessageSize));
  }
}
