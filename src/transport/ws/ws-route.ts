import type { TemplatedApp } from 'uWebSockets.js';

/** Another WebSocket endpoint on the same uWS app and port (e.g. the Pusher protocol's /app/:key). */
export interface WsRoute {
  /** Adds its handlers; called before the catch-all route. */
  register(app: TemplatedApp): void;
  readonly connections: number;
  bufferedBytes(): number;
  /** Closes every socket of the route with its protocol's shutdown code. */
  close(): void;
}
