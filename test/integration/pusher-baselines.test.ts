// The two baselines of the Pusher load scenario start and speak the protocol: a pusher-js client
// subscribes, the pusher server SDK triggers, the client receives.
import assert from 'node:assert/strict';
import Echo from 'laravel-echo';
import Pusher from 'pusher';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { PusherJs, PusherJsModule } from '../helpers/pusher-js-client.js';
import { soketiInstalled, spawnPusherTarget, type PusherTargetName, type SpawnedPusherTarget } from '../../loadtest/pusher-targets.js';

const app = { id: 'bench-app', key: 'bench-key', secret: 'bench-secret' };

function connectClient(target: SpawnedPusherTarget): PusherJs {
  return new PusherJs(app.key, {
    cluster: '',
    wsHost: target.host,
    wsPort: target.port,
    forceTLS: false,
    enabledTransports: ['ws'],
  });
}

function once<T>(bind: (cb: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => bind(resolve));
}

function scenario(name: PusherTargetName) {
  let target: SpawnedPusherTarget;
  let client: PusherJs | null = null;

  beforeAll(async () => {
    target = await spawnPusherTarget(name, app);
  });

  afterAll(async () => {
    client?.disconnect();
    await target?.stop();
  });

  test('a pusher-js client connects, subscribes to a public channel and receives an event triggered with the pusher SDK', async () => {
    client = connectClient(target);
    const connected = once<void>((cb) => client!.connection.bind('connected', cb));
    await connected;
    assert.match(client.connection.socket_id, /^\d+\.\d+$/);

    const channel = client.subscribe('bench');
    await once<void>((cb) => channel.bind('pusher:subscription_succeeded', cb));

    const received = once<unknown>((cb) => channel.bind('tick', cb));
    const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: target.host, port: String(target.port), useTLS: false });
    const res = await sdk.trigger('bench', 'tick', { n: 1, sentAt: 123 });
    assert.equal(res.status, 200);
    assert.deepEqual(await received, { n: 1, sentAt: 123 });
  });

  test('Laravel Echo (broadcaster reverb, on pusher-js) receives an event broadcast the way Laravel sends it', async () => {
    const echo = new Echo({
      broadcaster: 'reverb',
      key: app.key,
      wsHost: target.host,
      wsPort: target.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      Pusher: PusherJsModule,
    });
    try {
      const channel = echo.channel('orders');
      await once<void>((cb) => channel.subscribed(() => cb()));
      const received = once<unknown>((cb) => channel.listen('.OrderShipped', cb));
      const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: target.host, port: String(target.port), useTLS: false });
      // Laravel's broadcaster triggers the event class name with the payload as data.
      await sdk.trigger(['orders'], 'OrderShipped', { id: 7 });
      assert.deepEqual(await received, { id: 7 });
    } finally {
      echo.disconnect();
    }
  });
}

describe('pusher-uws relay (floor baseline)', () => scenario('pusher-uws'));

// soketi is installed on its own (about 300 packages): npm run baseline:soketi:install.
describe.skipIf(!soketiInstalled())('soketi (skipped when not installed: npm run baseline:soketi:install)', () => scenario('soketi'));
