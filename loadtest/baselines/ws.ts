// Baseline: the relay most tutorials write with the `ws` package: keep a set of viewers per
// room and loop over it for every frame. Env: HOST, PORT.
import { WebSocket, WebSocketServer } from 'ws';
import { writeRelayedAt } from '../../src/protocol/frame-header.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const room = decodeURIComponent(url.pathname.replace(/^\/ws\//, ''));
  const role = url.searchParams.get('role') ?? 'viewer';
  let viewers = rooms.get(room);
  if (!viewers) rooms.set(room, (viewers = new Set()));
  const members = viewers;
  if (role !== 'broadcaster') members.add(ws);
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      if (role !== 'broadcaster' || data.length < 24) return;
      writeRelayedAt(data, Date.now());
    }
    for (const client of members) if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  });
  ws.on('close', () => members.delete(ws));
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => process.stdout.write(`ws relay on ws://${host}:${port}/ws/:room\n`));
process.on('SIGTERM', () => process.exit(0));
