import { Gauge, type Registry } from 'prom-client';

/** What the WebSocket transport reports about its sockets. */
export interface SocketStats {
  readonly connections: number;
  bufferedBytes(): number;
}

/**
 * Transport gauges, read when scraped: open sockets (including ones not in a room yet) and the
 * bytes queued in user space for slow sockets, which is what slow consumers cost in memory.
 */
export function registerSocketGauges(registry: Registry, ws: SocketStats): void {
  new Gauge({
    name: 'beamcast_ws_sockets',
    help: 'Open WebSocket connections.',
    registers: [registry],
    collect() {
      this.set(ws.connections);
    },
  });
  new Gauge({
    name: 'beamcast_ws_buffered_bytes',
    help: 'Bytes queued for WebSocket clients that read slower than they are sent to.',
    registers: [registry],
    collect() {
      this.set(ws.bufferedBytes());
    },
  });
}
