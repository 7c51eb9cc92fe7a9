import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import type { Extensions } from '../../src/app.js';
import { parsePusherApp } from '../../src/config/pusher-apps/parse-pusher-app.js';
import type { PusherApp } from '../../src/config/pusher-apps/pusher-app.js';
import type { Config } from '../../src/config/schema.js';
import { PusherJs } from './pusher-js-client.js';
import { startTestServer, type TestServer } from './test-server.js';

export const APP = { id: '483210', key: 'ux8r2kq0m3v9t6c1z5ab', secret: '9c3f0d5e7a1b24c68e0f13579bdf2468' };

/** An app as an APPS_FILE entry would define it (any field name the parser accepts). */
export function testApp(fields: Record<string, unknown> = {}, credentials = APP): PusherApp {
  return parsePusherApp({ ...credentials, ...fields }, 'test app').app;
}

/** A test server serving these apps (default: APP with client events enabled). */
export function startPusherServer(
  apps: PusherApp[] = [testApp({ enable_client_messages: true })],
  overrides: Partial<Record<keyof Config, string>> = {},
  ext: Extensions = {},
): Promise<TestServer> {
  return startTestServer(overrides, { pusherApps: apps, webhooks: { batchMs: 20, baseDelayMs: 50, maxDelayMs: 200 }, ...ext });
}

/** The pusher server SDK for signing and checking only (webhook receivers, hand-made auth). */
export function signingSdk(app: { id: string; key: string; secret: string } = APP): Pusher {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1' });
}

/** The pusher server SDK pointed at a server's HTTP API. */
export function sdkFor(server: TestServer, app: { id: string; key: string; secret: string } = APP): Pusher {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(server.httpPort), useTLS: false });
}

export interface ClientOptions {
  authEndpoint?: string;
  userAuthEndpoint?: string;
  authParams?: Record<string, string>;
}

/** A pusher-js client (the npm package, as an app runs it in Node) connected to a server's WebSocket port. */
export function pusherClient(server: TestServer, opts: ClientOptions = {}, key = APP.key): PusherJs {
  return new PusherJs(key, {
    cluster: '',
    wsHost: '127.0.0.1',
    wsPort: server.wsPort,
    forceTLS: false,
    enabledTransports: ['ws'],
    ...(opts.authEndpoint ? { channelAuthorization: { endpoint: opts.authEndpoint, transport: 'ajax' as const, params: opts.authParams ?? {} } } : {}),
    ...(opts.userAuthEndpoint ? { userAuthentication: { endpoint: opts.userAuthEndpoint, transport: 'ajax' as const, params: opts.authParams ?? {} } } : {}),
  });
}

/** Resolves with the first value `bind`'s callback gets. */
export function once<T = unknown>(bind: (cb: (v: T) => void) => void, timeoutMs = 5000, what = 'an event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    bind((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

export async function connected(client: PusherJs): Promise<string> {
  if (client.connection.state !== 'connected') await once((cb) => client.connection.bind('connected', cb), 5000, 'connected');
  return client.connection.socket_id;
}

/**
 * An app's own auth endpoint, as a Laravel app would have: channel auth through the SDK's
 * authorizeChannel (presence members from the `user` form field, user id = that value) and
 * user authentication through authenticateUser (`user` as the id).
 */
export class AuthEndpoint {
  readonly requests: Record<string, string>[] = [];
  private readonly server: Server;

  constructor(private readonly sdk: Pusher) {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const f = Object.fromEntries(new URLSearchParams(body));
        this.requests.push(f);
        const user = f.user ?? 'anon';
        let answer: object;
        if (req.url?.startsWith('/user-auth')) {
          answer = this.sdk.authenticateUser(f.socket_id!, { id: user, name: user });
        } else if (f.channel_name!.startsWith('presence-')) {
          answer = this.sdk.authorizeChannel(f.socket_id!, f.channel_name!, { user_id: user, user_info: { name: user } });
        } else {
          answer = this.sdk.authorizeChannel(f.socket_id!, f.channel_name!);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
