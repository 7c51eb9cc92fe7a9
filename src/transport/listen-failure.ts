import net from 'node:net';

export interface ListenTarget {
  /** The setting that chose the port, e.g. WS_PORT; its flag is derived from it (--ws-port). */
  setting: string;
  /** What listens there, for the message: "HTTP server", "WebSocket server". */
  server: string;
  host: string;
  port: number;
}

const LISTEN_ERRNOS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']);

/** An error a server raised when it could not listen, translated into the setting to change and why. */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    message: string,
    readonly errno: string | null,
  ) {
    super(message);
  }
}

/**
 * Explains why a server could not listen, in terms of the settings a user controls. `err` is the
 * error the server raised, passed through unchanged when it is not about listening; null when the
 * server reports no cause (uWebSockets.js only says it failed): a probe listen on the same address
 * finds it then.
 */
export async function explainListenFailure(t: ListenTarget, err: unknown): Promise<unknown> {
  const errno = err === null ? await probe(t.host, t.port) : errnoOf(err);
  if (err !== null && (errno === null || !LISTEN_ERRNOS.has(errno))) return err;
  return new ListenError(listenFailureText(t, errno), errno);
}

export function listenFailureText(t: ListenTarget, errno: string | null): string {
  const flag = `--${t.setting.toLowerCase().replace(/_/g, '-')}`;
  const choose = `choose another with ${t.setting} or ${flag}`;
  switch (errno) {
    case 'EADDRINUSE':
      return `${t.setting} ${t.port} is in use (another beamcast or another program is listening there); ${choose}`;
    case 'EACCES':
      return `${t.setting} ${t.port} needs privileges this process lacks (ports below 1024 usually do); ${choose}, above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${t.host} is not an address of this machine, so the ${t.server} cannot listen there; set HOST (--host) to one of its addresses, or 0.0.0.0 for all`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `HOST ${t.host} is not a name this machine can resolve; set HOST (--host) to one of its addresses, or 0.0.0.0 for all`;
    default:
      return `the ${t.server} could not listen on ${t.host}:${t.port}${errno ? ` (${errno})` : ''}; check that ${t.setting} is a free port and HOST an address of this machine`;
  }
}

function errnoOf(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** Tries to listen where the server failed to, and reports the errno (null if it worked this time). */
function probe(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e) => resolve(errnoOf(e)));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(null)));
  });
}
