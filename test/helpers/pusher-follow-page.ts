import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';
import { fileURLToPath } from 'node:url';

/**
 * A test-only page that follows a room the way a site would with pusher-js: room.{room} for the
 * chat, presence-room.{room} (signed by beamcast's /pusher/auth) for who else follows. The
 * script is bundled with esbuild from test/helpers/pusher-follow-script.ts, pusher-js's browser
 * build included, and served from the server itself so the page's CSP (script-src 'self') holds.
 */
export async function pusherFollowRoutes(): Promise<(app: FastifyInstance) => void> {
  const entry = fileURLToPath(new URL('./pusher-follow-script.ts', import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', target: 'chrome100' });
  const js = out.outputFiles[0]!.text;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>follow</title><link rel="icon" href="data:,"></head>
<body data-state="loading"><h1>Following</h1><p id="members">0</p><ol id="follow"></ol>
<script type="module" src="/test/pusher-follow.js"></script></body></html>`;
  return (app) => {
    app.get('/test/pusher-follow.html', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
    app.get('/test/pusher-follow.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(js));
  };
}
