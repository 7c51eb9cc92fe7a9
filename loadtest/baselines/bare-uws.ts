// Baseline: the least a uWS relay can do. Viewers subscribe to their room's topic; each frame
// from a broadcaster is stamped and published; text is published as is. No checks, no cache,
// no chat log: the floor for what uWebSockets.js costs. Env: HOST, PORT.
import { writeRelayedAt } from '../../src/protocol/frame-header.js';
import { loadUws } from '../../src/transport/ws/load-uws.js';

const uws = loadUws();
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const app = uws.App();

app.ws<{ room: string; role: string }>('/ws/:room', {
  compression: uws.DISABLED,
  maxPayloadLength: 16 * 1024 * 1024,
  idleTimeout: 120,
  upgrade(res, req, context) {
    const room = req.getParameter(0) ?? '';
    const role = new URLSearchParams(req.getQuery() ?? '').get('role') ?? 'viewer';
    res.upgrade(
      { room, role },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open(ws) {
    const { room, role } = ws.getUserData();
    if (role !== 'broadcaster') ws.subscribe(room);
  },
  message(ws, message, isBinary) {
    const { room, role } = ws.getUserData();
    if (!isBinary) {
      app.publish(room, message, false);
      return;
    }
    if (role !== 'broadcaster' || message.byteLength < 24) return;
    writeRelayedAt(new Uint8Array(message), Date.now());
    app.publish(room, message, true);
  },
});

app.listen(host, port, (listenSocket) => {
  if (!listenSocket) {
    process.stderr.write(`bare-uws: cannot listen on ${host}:${port}\n`);
    process.exit(1);
  }
  process.stdout.write(`bare-uws relay on ws://${host}:${uws.us_socket_local_port(listenSocket)}/ws/:room\n`);
});
process.on('SIGTERM', () => process.exit(0));
