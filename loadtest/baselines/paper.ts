// Baseline: frames as base64 data-URL text in JSON, as the old PHP approach served them, over
// the same `ws` loop as the ws baseline. Encoded once per frame, not per viewer. Env: HOST, PORT.
import { WebSocket, WebSocketServer } from 'ws';

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
    let out: string | Buffer = data;
    if (isBinary) {
      if (role !== 'broadcaster' || data.length < 24) return;
      const seq = data.readUInt32LE(4);
      const capturedAt = data.readDoubleLE(8);
      const image = `data:image/jpeg;base64,${data.subarray(data.readUInt16LE(2)).toString('base64')}`;
      out = JSON.stringify({ seq, capturedAt, relayedAt: Date.now(), image });
    }
    for (const client of members) if (client.readyState === WebSocket.OPEN) client.send(out, { binary: false });
  });
  ws.on('close', () => members.delete(ws));
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => process.stdout.write(`paper relay on ws://${host}:${port}/ws/:room\n`));
process.on('SIGTERM', () => process.exit(0));
