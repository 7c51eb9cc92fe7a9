// Baseline: the least a Pusher-protocol relay on uWS can do, the floor for the Pusher load
// scenario. WebSockets on /app/:key get connection_established and may subscribe to public
// channels (a uWS topic each); POST /apps/:id/events publishes the event to its channels' topics.
// No app check, no signature check, no presence, no limits. One port for both, as soketi.
// Env: HOST, PORT.
import { connectionEstablished, PONG, channelEvent, subscriptionError, subscriptionSucceeded } from '../../src/protocol/pusher/server-messages.js';
import { loadUws } from '../../src/transport/ws/load-uws.js';
import { newSocketId } from '../../src/transport/pusher/socket-id.js';

const uws = loadUws();
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 0);
const app = uws.App();
const decoder = new TextDecoder();

app.ws('/app/:key', {
  compression: uws.DISABLED,
  maxPayloadLength: 64 * 1024,
  idleTimeout: 120,
  open(ws) {
    ws.send(connectionEstablished(newSocketId(), 30));
  },
  message(ws, message) {
    let msg: { event?: unknown; data?: { channel?: unknown } };
    try {
      msg = JSON.parse(decoder.decode(message)) as typeof msg;
    } catch {
      return;
    }
    const channel = typeof msg.data?.channel === 'string' ? msg.data.channel : '';
    if (msg.event === 'pusher:ping') {
      ws.send(PONG);
    } else if (msg.event === 'pusher:subscribe' && channel) {
      if (channel.startsWith('private-') || channel.startsWith('presence-')) {
        ws.send(subscriptionError(channel, 'AUTH_FAILED', 'this relay serves public channels only'));
        return;
      }
      ws.subscribe(channel);
      ws.send(subscriptionSucceeded(channel));
    } else if (msg.event === 'pusher:unsubscribe' && channel) {
      ws.unsubscribe(channel);
    }
  },
});

app.post('/apps/:id/events', (res) => {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  const chunks: Buffer[] = [];
  res.onData((chunk, last) => {
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!last || aborted) return;
    let status = '200 OK';
    try {
      const ev = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; channel?: string; channels?: string[]; data: string };
      const channels = ev.channels ?? (ev.channel ? [ev.channel] : []);
      for (const c of channels) app.publish(c, channelEvent(c, ev.name, ev.data), false);
    } catch {
      status = '400 Bad Request';
    }
    res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end('{}'));
  });
});

app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end();
});

app.listen(host, port, (listenSocket) => {
  if (!listenSocket) {
    process.stderr.write(`pusher-uws: cannot listen on ${host}:${port}\n`);
    process.exit(1);
  }
  process.stdout.write(`pusher-uws relay on ws://${host}:${uws.us_socket_local_port(listenSocket)}/app/:key and http://${host}:${uws.us_socket_local_port(listenSocket)}/apps/:id/events\n`);
});
process.on('SIGTERM', () => process.exit(0));
