import { flagName } from './schema.js';

/**
 * Rules that span several settings, checked after each value parsed on its own. Returns the
 * problem in words (naming the env vars and flags), or null.
 */
export function configConflict(c: { port: number; wsPort: number }): string | null {
  // Both servers listen on HOST: one port cannot serve both (0 picks a free port for each).
  if (c.port !== 0 && c.port === c.wsPort) {
    return (
      `PORT (${flagName('PORT')}) and WS_PORT (${flagName('WS_PORT')}) are both ${c.port}, ` +
      'but the HTTP server and the WebSocket server each need a port of their own; set one of them to another port'
    );
  }
  return null;
}
