// Baseline: Socket.IO broadcasting each frame as a binary attachment to the room (websocket
// transport only, no compression). Env: HOST, PORT.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { writeRelayedAt } from '../../src/protocol/frame-header.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 16 * 1024 * 1024, perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? '');
  const role = String(socket.handshake.query.role ?? 'viewer');
  if (role !== 'broadcaster') void socket.join(room);
  socket.on('frame', (frame: unknown) => {
    if (role !== 'broadcaster' || !Buffer.isBuffer(frame) || frame.length < 24) return;
    writeRelayedAt(frame, Date.now());
    io.to(room).emit('frame', frame);
  });
  socket.on('chat', (msg: unknown) => io.to(room).emit('chat', msg));
});
http.listen(port, host, () => process.stdout.write(`socket.io relay on http://${host}:${port}/socket.io/\n`));
process.on('SIGTERM', () => process.exit(0));
