// pusher-js's own protocol module (src/core/connection/protocol/protocol.ts, shipped in the npm
// package), bundled with esbuild so that tests compare our encoders and codes with the exact
// functions the client runs, not with our reading of them.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export interface PusherJsProtocol {
  decodeMessage(ev: { data: string }): { event: string; channel?: string; data?: unknown; user_id?: string };
  encodeMessage(ev: { event: string; channel?: string; data?: unknown }): string;
  processHandshake(ev: { data: string }): { action: string; id?: string; activityTimeout?: number; error?: unknown };
  getCloseAction(ev: { code: number }): string | null;
}

let loaded: Promise<PusherJsProtocol> | null = null;

export function pusherJsProtocol(): Promise<PusherJsProtocol> {
  loaded ??= (async () => {
    const entry = fileURLToPath(new URL('../../node_modules/pusher-js/src/core/connection/protocol/protocol.ts', import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
    const code = out.outputFiles[0]!.text;
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { default: PusherJsProtocol };
    return mod.default;
  })();
  return loaded;
}
