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
  const badRoom = page('bad-room.html');
  app.get<{ Params: { room: string } }>('/viewer/:room', (req, reply) => {
    const room = req.params.room;
    if (isValidRoomName(room)) return viewer(reply);
    // Room names are lower case; a link typed or shared with capitals still finds the room.
    const lower = room.toLowerCase();
    if (isValidRoomName(lower)) return reply.redirect(`/viewer/${lower}${queryOf(req.url)}`, 301);
    return badRoom(reply.code(404));
  });
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q);
}
