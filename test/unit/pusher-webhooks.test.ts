import assert from 'node:assert/strict';
import Pusher from 'pusher';
import { afterEach, describe, test } from 'vitest';
import { parsePusherApp } from '../../src/config/pusher-apps/parse-pusher-app.js';
import type { PusherApp } from '../../src/config/pusher-apps/pusher-app.js';
import type { WebhookEvent } from '../../src/transport/pusher/webhooks/webhook-event.js';
import { WebhookSender, type WebhookSenderOptions } from '../../src/transport/pusher/webhooks/webhook-sender.js';
import type { WebhookFailure, WebhookTelemetry } from '../../src/transport/pusher/webhooks/webhook-telemetry.js';
import { WebhookReceiver as Receiver, type Answer } from '../helpers/webhook-receiver.js';

/** Counts what the sender reports and lets a test wait for a count. */
class Counters implements WebhookTelemetry {
  sent = 0;
  sentEvents = 0;
  retried = 0;
  failed: { events: number; reason: WebhookFailure }[] = [];
  dropped = 0;
  private waiters: (() => void)[] = [];
  webhookSent(_appId: string, events: number): void {
    this.sent++;
    this.sentEvents += events;
    this.notify();
  }
  webhookRetried(): void {
    this.retried++;
    this.notify();
  }
  webhookFailed(_appId: string, events: number, reason: WebhookFailure): void {
    this.failed.push({ events, reason });
    this.notify();
  }
  webhookDropped(_appId: string, events: number): void {
    this.dropped += events;
    this.notify();
  }
  async until(pred: (c: this) => boolean): Promise<void> {
    while (!pred(this)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const creds = { id: 'app-1', key: 'key-1', secret: 'secret-1' };
const sdk = new Pusher({ appId: creds.id, key: creds.key, secret: creds.secret, host: '127.0.0.1' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function appWith(webhooks: unknown[]): PusherApp {
  return parsePusherApp({ ...creds, webhooks }, 'test').app;
}

async function setup(
  hooks: (url: string) => unknown[],
  answer?: (n: number) => Answer,
  opts: Partial<WebhookSenderOptions> = {},
): Promise<{ receiver: Receiver; sender: WebhookSender; counters: Counters; app: PusherApp }> {
  const receiver = new Receiver(sdk, answer);
  const url = await receiver.start();
  cleanups.push(() => receiver.stop());
  const app = appWith(hooks(url));
  const counters = new Counters();
  const sender = new WebhookSender({ apps: [app], telemetry: counters, baseDelayMs: 10, timeoutMs: 2000, ...opts });
  cleanups.push(() => sender.close(100));
  return { receiver, sender, counters, app };
}

const occupied = (channel: string): WebhookEvent => ({ name: 'channel_occupied', channel });

describe('webhook batches', () => {
  test('events within the batch window arrive in one signed POST that the SDK\'s webhook() accepts', async () => {
    const { receiver, sender } = await setup((url) => [{ url, event_types: ['channel_occupied', 'member_added'], headers: { 'X-Tenant': 't1' } }], undefined, {
      batchMs: 50,
    });
    sender.send(creds.id, occupied('a'));
    sender.send(creds.id, { name: 'member_added', channel: 'presence-b', user_id: '7' });
    sender.send(creds.id, occupied('c'));
    const [r] = await receiver.requests(1);
    assert.ok(r!.valid, 'signature checked by pusher.webhook().isValid()');
    assert.equal(r!.headers['x-pusher-key'], creds.key);
    assert.equal(r!.headers['content-type'], 'application/json');
    assert.equal(r!.headers['x-tenant'], 't1');
    const payload = JSON.parse(r!.body) as { time_ms: number; events: WebhookEvent[] };
    assert.ok(Math.abs(payload.time_ms - Date.now()) < 10_000);
    assert.deepEqual(payload.events, [occupied('a'), { name: 'member_added', channel: 'presence-b', user_id: '7' }, occupied('c')]);
  });

  test('a full batch goes at once, in order, without waiting for the window', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], undefined, { batchMax: 2, batchMs: 60_000 });
    for (const c of ['a', 'b', 'c', 'd']) sender.send(creds.id, occupied(c));
    const got = await receiver.requests(2);
    assert.deepEqual(got.map((r) => r.events.map((e) => e.channel)), [['a', 'b'], ['c', 'd']]);
    await counters.until((c) => c.sent === 2);
    assert.equal(counters.sentEvents, 4);
  });

  test('each webhook gets only the event types and channels it asked for', async () => {
    const other = new Receiver(sdk);
    const otherUrl = await other.start();
    cleanups.push(() => other.stop());
    const { receiver, sender, counters } = await setup((url) => [
      { url, event_types: ['channel_occupied', 'channel_vacated'] },
      { url: otherUrl, event_types: ['client_event', 'channel_vacated'], filter: { channel_name_starts_with: 'private-', channel_name_ends_with: '-x' } },
    ]);
    assert.ok(sender.wants(creds.id, 'client_event'));
    assert.ok(!sender.wants(creds.id, 'member_added'));
    assert.ok(!sender.wants('no-such-app', 'channel_occupied'));
    sender.send(creds.id, occupied('private-a-x'));
    sender.send(creds.id, { name: 'member_added', channel: 'presence-a', user_id: '1' });
    sender.send(creds.id, { name: 'client_event', channel: 'private-a-x', event: 'client-hi', data: '{}', socket_id: '1.2' });
    sender.send(creds.id, { name: 'client_event', channel: 'private-b', event: 'client-hi', data: '{}', socket_id: '1.2' });
    sender.send(creds.id, { name: 'channel_vacated', channel: 'private-a-x' });
    await sender.idle();
    await counters.until((c) => c.sent === 2);
    assert.deepEqual(receiver.received[0]!.events.map((e) => e.name), ['channel_occupied', 'channel_vacated']);
    assert.deepEqual(other.received[0]!.events.map((e) => `${e.name} ${e.channel}`), ['client_event private-a-x', 'channel_vacated private-a-x']);
    assert.ok(other.received[0]!.valid);
  });

  test('apps without webhooks cost nothing and send nothing', async () => {
    const sender = new WebhookSender({ apps: [appWith([])] });
    assert.ok(!sender.wants(creds.id, 'channel_occupied'));
    sender.send(creds.id, occupied('a'));
    await sender.idle();
    await sender.close();
  });
});

describe('webhook retries', () => {
  test('a receiver that fails its first attempts gets the batch once it answers 2xx, counted as retried then sent', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], (n) => (n <= 2 ? 503 : 200));
    sender.send(creds.id, occupied('a'));
    await counters.until((c) => c.sent === 1);
    assert.equal(receiver.received.length, 3);
    assert.ok(receiver.received.every((r) => r.valid && r.events[0]!.channel === 'a'), 'each attempt carries the same signed body');
    assert.equal(counters.retried, 2);
    assert.deepEqual(counters.failed, []);
  });

  test('408, 429 and network errors are retried; other 4xx and redirects are final', async () => {
    for (const status of [408, 429]) {
      const { counters, sender } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], (n) => (n === 1 ? status : 204));
      sender.send(creds.id, occupied('a'));
      await counters.until((c) => c.sent === 1);
      assert.equal(counters.retried, 1, String(status));
    }
    for (const status of [400, 401, 404, 302]) {
      const { counters, sender, receiver } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], () => status);
      sender.send(creds.id, occupied('a'));
      await counters.until((c) => c.failed.length === 1);
      assert.deepEqual(counters.failed, [{ events: 1, reason: 'refused' }], String(status));
      assert.equal(receiver.received.length, 1, `${status} is not retried`);
      assert.equal(counters.retried, 0);
    }
  });

  test('a receiver that keeps failing is given up after maxAttempts, logged without the URL\'s query', async () => {
    const logged: string[] = [];
    const log = { warn: (obj: object, msg: string) => logged.push(JSON.stringify({ ...obj, msg })) };
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], () => 500, { maxAttempts: 3, log });
    sender.send(creds.id, occupied('a'));
    await counters.until((c) => c.failed.length === 1);
    assert.equal(receiver.received.length, 3);
    assert.equal(counters.retried, 2);
    assert.deepEqual(counters.failed, [{ events: 1, reason: 'exhausted' }]);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /"webhook":"http:\/\/127\.0\.0\.1:\d+\/pusher\/webhook".*"attempts":3.*"why":"status 500".*webhook batch given up/);
    assert.ok(!logged[0]!.includes('token=abc'), 'the query (which may hold a token) stays out of the log');
  });

  test('retries stop when the next back-off would pass maxRetryMs, whatever attempts are left', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], () => 500, {
      maxAttempts: 100,
      baseDelayMs: 40,
      maxRetryMs: 600,
    });
    sender.send(creds.id, occupied('a'));
    await counters.until((c) => c.failed.length === 1);
    // Back-offs of at least 20, 40, 80, 160, 320 ms: together past 600 ms, so at most 6 attempts.
    assert.ok(receiver.received.length >= 2 && receiver.received.length <= 6, `${receiver.received.length} attempts`);
    assert.deepEqual(counters.failed, [{ events: 1, reason: 'exhausted' }]);
  });

  test('an attempt that gets no answer times out and is retried', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], (n) => (n === 1 ? 'hang' : 200), { timeoutMs: 150 });
    sender.send(creds.id, occupied('a'));
    await counters.until((c) => c.sent === 1);
    assert.ok(receiver.received.length >= 2);
    assert.equal(counters.retried, receiver.received.length - 1);
  });

  test('an unreachable receiver is retried, then given up', async () => {
    const receiver = new Receiver(sdk);
    const url = await receiver.start();
    await receiver.stop();
    const counters = new Counters();
    const sender = new WebhookSender({ apps: [appWith([{ url, event_types: ['channel_occupied'] }])], telemetry: counters, baseDelayMs: 5, maxAttempts: 2 });
    cleanups.push(() => sender.close(100));
    sender.send(creds.id, occupied('a'));
    await counters.until((c) => c.failed.length === 1);
    assert.equal(counters.retried, 1);
    assert.deepEqual(counters.failed, [{ events: 1, reason: 'exhausted' }]);
  });
});

describe('webhook queue bounds and shutdown', () => {
  test('while a receiver is stuck, waiting batches are bounded: the oldest are dropped and counted', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], (n) => (n === 1 ? 'hang' : 200), {
      batchMax: 1,
      maxQueuedBytes: 300,
      timeoutMs: 60_000,
    });
    sender.send(creds.id, occupied('first'));
    await receiver.requests(1);
    for (let i = 0; i < 20; i++) sender.send(creds.id, occupied(`c${i}`));
    assert.ok(counters.dropped > 0, 'some batches dropped');
    receiver.hanging[0]!.writeHead(200).end();
    await counters.until((c) => c.sent + c.dropped === 21);
    const delivered = receiver.received.map((r) => r.events[0]!.channel);
    assert.equal(delivered[0], 'first');
    assert.equal(delivered.at(-1), 'c19', 'the newest batch is kept');
    assert.equal(delivered.length - 1 + counters.dropped, 20);
    // Kept batches still go out in order.
    const kept = delivered.slice(1).map((c) => Number(c.slice(1)));
    assert.deepEqual(kept, [...kept].sort((a, b) => a - b));
  });

  test('close() first sends the events still waiting for their batch window', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], () => 200, { batchMs: 60_000 });
    sender.send(creds.id, occupied('a'));
    await sender.close(10_000);
    assert.equal(counters.sent, 1);
    assert.deepEqual(receiver.received.map((r) => r.events[0]!.channel), ['a']);
    sender.send(creds.id, occupied('after'));
    await sender.idle();
    assert.equal(receiver.received.length, 1, 'nothing is sent after close');
  });

  test('close() stops a stuck delivery after its timeout and counts it as failed at shutdown', async () => {
    const { receiver, sender, counters } = await setup((url) => [{ url, event_types: ['channel_occupied'] }], () => 'hang', { batchMax: 1, timeoutMs: 60_000 });
    sender.send(creds.id, occupied('a'));
    await receiver.requests(1);
    await sender.close(50);
    await counters.until((c) => c.failed.length === 1);
    assert.deepEqual(counters.failed, [{ events: 1, reason: 'shutdown' }]);
    assert.equal(counters.sent, 0);
  });
});
