import type { FastifyInstance, FastifyReply } from 'fastify';
import { isValidRoomName } from '../../protocol/index.js';

/** The three pages are static HTML; rooms and keys come from the URL, read by the page itself. */
export function registerPageRoutes(app: FastifyInstance, hasWeb: boolean): void {
  const page = (file: string) => (reply: FastifyReply) => {
    if (!hasWeb) return reply.code(404).type('text/plain').send('Pages are not built: run npm run build\n');
    return reply.header('cache-control', 'no-cache').sendFile(file);
  };
  const index = page('index.html');
  const camera = page('camera.html');
  const viewer = page('viewer.html');
  app.get('/', (_req, reply) => index(reply));
  app.get('/camera', (_req, reply) => camera(reply));
  app.get<{ Params: { room: string } }>('/viewer/:room', (req, reply) => {
    if (!isValidRoomName(req.params.room)) return reply.code(404).type('text/plain').send('No such room name\n');
    return viewer(reply);
  });
}
