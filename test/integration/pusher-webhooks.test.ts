// Webhooks of an app, received by a local HTTP server that checks each with the SDK's webhook().
import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/metrics/create-metrics.js';
import type { WebhookEvent } from '../../src/transport/pusher/webhooks/webhook-event.js';
import { waitFor } from '../helpers/free-port.js';
import { parseProm, valueOf } from '../helpers/prom-text.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { APP, AuthEndpoint, once, pusherClient, sdkFor, signingSdk, startPusherServer, testApp } from '../helpers/pusher-server.js';
import type { TestServer } from '../helpers/test-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const BROKEN = { id: 'broken', key: 'broken-key', secret: 'broken-secret' };
let server: TestServer;
let metrics: Metrics;
let receiver: WebhookReceiver;
let failing: WebhookReceiver;
let auth: AuthEndpoint;
let authUrl: string;
const clients: PusherJs[] = [];

const events = () => receiver.received.flatMap((r) => r.events);
const seen = (pred: (e: WebhookEvent) => boolean, what: string) => waitFor(() => events().find(pred), 5000, what);

beforeAll(async () => {
  receiver = new WebhookReceiver(signingSdk());
  failing = new WebhookReceiver(signingSdk(BROKEN), () => 500);
  const all = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'];
  metrics = createMetrics();
  server = await startPusherServer(
    [
      testApp({ enable_client_messages: true, webhooks: [{ url: await receiver.start(), event_types: all }] }),
      testApp({ webhooks: [{ url: await failing.start(), event_types: ['channel_occupied'] }] }, BROKEN),
    ],
    {},
    { http: metrics.http, pusherTelemetry: metrics.pusher },
  );
  metrics.watchPusher(server.pusher);
  auth = new AuthEndpoint(sdkFor(server));
  authUrl = await auth.start();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(async () => {
  await server?.stop();
  await auth?.stop();
  await receiver?.stop();
  await failing?.stop();
});

describe('webhooks', () => {
  it('report occupancy, members, client events and cache misses, signed so that the SDK accepts them', async () => {
    const ann = pusherClient(server, { authEndpoint: `${authUrl}/channel-auth`, authParams: { user: 'ann' } });
    const bob = pusherClient(server, { authEndpoint: `${authUrl}/channel-auth`, authParams: { user: 'bob' } });
    clients.push(ann, bob);
    const cha = ann.subscribe('presence-desk');
    await once((cb) => cha.bind('pusher:subscription_succeeded', cb));
    const chb = bob.subscribe('presence-desk');
    await once((cb) => chb.bind('pusher:subscription_succeeded', cb));
    cha.trigger('client-wave', { hi: 1 });
    const cache = ann.subscribe('cache-quotes');
    await once((cb) => cache.bind('pusher:cache_miss', cb));

    await seen((e) => e.name === 'client_event', 'client_event');
    await seen((e) => e.name === 'cache_miss', 'cache_miss');
    assert.ok(receiver.received.every((r) => r.valid), "every request passes the SDK's webhook().isValid()");
    assert.ok(receiver.received.every((r) => r.headers['x-pusher-key'] === APP.key));
    assert.deepEqual(
      events().filter((e) => e.channel === 'presence-desk'),
      [
        { name: 'member_added', channel: 'presence-desk', user_id: 'ann' },
        { name: 'channel_occupied', channel: 'presence-desk' },
        { name: 'member_added', channel: 'presence-desk', user_id: 'bob' },
        { name: 'client_event', channel: 'presence-desk', event: 'client-wave', data: '{"hi":1}', socket_id: ann.connection.socket_id, user_id: 'ann' },
      ],
    );
    assert.ok(events().some((e) => e.name === 'cache_miss' && e.channel === 'cache-quotes'));

    bob.disconnect();
    await seen((e) => e.name === 'member_removed' && e.user_id === 'bob', 'member_removed of bob');
    assert.ok(!events().some((e) => e.name === 'channel_vacated' && e.channel === 'presence-desk'), 'ann is still there');
    ann.disconnect();
    await seen((e) => e.name === 'channel_vacated' && e.channel === 'presence-desk', 'channel_vacated');
    await seen((e) => e.name === 'channel_vacated' && e.channel === 'cache-quotes', 'cache channel vacated');
    assert.equal(events().filter((e) => e.name === 'channel_occupied' && e.channel === 'presence-desk').length, 1);
  });

  it('retry a failing receiver, then count the batch as failed in the metrics', async () => {
    const c = pusherClient(server, {}, BROKEN.key);
    clients.push(c);
    const ch = c.subscribe('anything');
    await once((cb) => ch.bind('pusher:subscription_succeeded', cb));
    await failing.requests(2);
    const failed = async () => {
      const samples = parseProm(await (await fetch(server.httpUrl('/metrics'))).text());
      return valueOf(samples, 'beamcast_pusher_webhook_failures_total', { reason: 'exhausted' }) === 1 ? samples : undefined;
    };
    const samples = await waitFor(failed, 10_000, 'the failed batch in the metrics');
    assert.ok(failing.received.length >= 2 && failing.received.every((r) => r.valid));
    assert.ok(valueOf(samples, 'beamcast_pusher_webhook_batches_total', { outcome: 'retried' })! >= 1);
    assert.equal(valueOf(samples, 'beamcast_pusher_connections'), 1);
    assert.equal(valueOf(samples, 'beamcast_pusher_subscriptions'), 1);
    assert.ok(valueOf(samples, 'beamcast_pusher_events_total', { source: 'client' })! >= 1, 'the client event of the test before');
  });
});
