// The Pusher HTTP API (/apps/:id/...) through the pusher SDK and hand-signed requests.
import assert from 'node:assert/strict';
import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { signRequest } from '../../src/transport/pusher/signing/request-signature.js';
import { APP, sdkFor, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { PusherWire } from '../helpers/pusher-wire.js';
import type { TestServer } from '../helpers/test-server.js';

let server: TestServer;
let sdk: Pusher;
const wires: PusherWire[] = [];

async function subscribe(channel: string, userId?: string): Promise<PusherWire> {
  const { wire, socketId } = await PusherWire.established(server.wsPort, APP.key);
  wires.push(wire);
  let data: Record<string, string> = { channel };
  if (channel.startsWith('presence-')) {
    const a = sdk.authorizeChannel(socketId, channel, { user_id: userId!, user_info: {} });
    data = { channel, auth: a.auth, channel_data: a.channel_data! };
  } else if (channel.startsWith('private-')) data = { channel, auth: sdk.authorizeChannel(socketId, channel).auth };
  wire.send({ event: 'pusher:subscribe', data });
  await wire.next('pusher_internal:subscription_succeeded');
  return wire;
}

/** A request signed by hand, as the SDKs sign it, at a chosen time. */
async function signed(method: 'GET' | 'POST', path: string, opts: { params?: Record<string, string>; body?: unknown; at?: number; secret?: string } = {}) {
  const body = opts.body === undefined ? null : JSON.stringify(opts.body);
  const full = `/apps/${APP.id}${path}`;
  const qs = signRequest({ key: APP.key, secret: opts.secret ?? APP.secret }, { method, path: full, params: opts.params, body }, opts.at ?? Date.now() / 1000);
  const res = await fetch(server.httpUrl(`${full}?${qs}`), { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, text: await res.text() };
}

const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { status: number }).status;
  }
};

beforeAll(async () => {
  server = await startPusherServer([testApp({ max_event_payload_in_kb: 1, max_event_channels_at_once: 3, max_event_batch_size: 2 })]);
  sdk = sdkFor(server);
});
afterEach(async () => {
  await Promise.all(wires.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await server?.stop();
});

describe('the HTTP API', () => {
  it("lists occupied channels by prefix with their counts, a channel's counts, and a presence channel's users", async () => {
    await subscribe('news');
    await subscribe('news');
    await subscribe('presence-lobby', 'ann');
    await subscribe('presence-lobby', 'ann');
    await subscribe('presence-lobby', 'bob');
    const all = await (await sdk.get({ path: '/channels', params: { info: 'subscription_count' } })).json();
    assert.deepEqual(all, { channels: { news: { subscription_count: 2 }, 'presence-lobby': { subscription_count: 3 } } });
    const presence = await (await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json();
    assert.deepEqual(presence, { channels: { 'presence-lobby': { user_count: 2 } } });
    assert.equal(await statusOf(sdk.get({ path: '/channels', params: { info: 'user_count' } })), 400, 'user_count needs the presence- prefix');
    assert.deepEqual(await (await sdk.get({ path: '/channels/presence-lobby', params: { info: 'user_count,subscription_count' } })).json(), { occupied: true, user_count: 2, subscription_count: 3 });
    assert.deepEqual(await (await sdk.get({ path: '/channels/empty' })).json(), { occupied: false });
    assert.equal(await statusOf(sdk.get({ path: '/channels/news', params: { info: 'user_count' } })), 400);
    const users = (await (await sdk.get({ path: '/channels/presence-lobby/users' })).json()) as { users: { id: string }[] };
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['ann', 'bob']);
    assert.equal(await statusOf(sdk.get({ path: '/channels/news/users' })), 400);
  });

  it('triggers a batch in order, and answers the counts an event asked for', async () => {
    const w = await subscribe('presence-team', 'ann');
    await sdk.triggerBatch([
      { channel: 'presence-team', name: 'first', data: { n: 1 } },
      { channel: 'presence-team', name: 'second', data: { n: 2 } },
    ]);
    assert.deepEqual([(await w.next('first')).data, (await w.next('second')).data], ['{"n":1}', '{"n":2}']);
    const res = await sdk.trigger(['presence-team', 'nobody'], 'third', {}, { info: 'user_count,subscription_count' });
    assert.deepEqual(await res.json(), { channels: { 'presence-team': { user_count: 1, subscription_count: 1 }, nobody: { subscription_count: 0 } } });
  });

  it('refuses a request signed with another secret (401) and one signed outside the timestamp window, however well signed', async () => {
    const forger = new Pusher({ appId: APP.id, key: APP.key, secret: 'not-it', host: '127.0.0.1', port: String(server.httpPort), useTLS: false });
    assert.equal(await statusOf(forger.trigger('news', 'x', {})), 401);
    // Each timestamp is taken just before its request: a loaded machine may stall between them.
    const now = () => Date.now() / 1000;
    assert.equal((await signed('POST', '/events', { body: { name: 'x', channels: ['news'], data: '{}' }, at: now() - 601 })).status, 401);
    assert.match((await signed('GET', '/channels', { at: now() + 601 })).text, /auth_timestamp is more than 600 s away/);
    assert.equal((await signed('GET', '/channels', { at: now() - 590 })).status, 200, 'inside the window');
  });

  it('refuses a body that is not the one body_md5 names, missing auth, and an unknown app', async () => {
    const full = `/apps/${APP.id}/events`;
    const qs = signRequest(APP, { method: 'POST', path: full, body: '{"name":"a","channels":["news"],"data":"1"}' }, Date.now() / 1000);
    const swapped = await fetch(server.httpUrl(`${full}?${qs}`), { method: 'POST', body: '{"name":"b","channels":["news"],"data":"1"}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual([swapped.status, await swapped.text()], [401, 'body_md5 is missing or does not match the body']);
    assert.equal((await fetch(server.httpUrl(`/apps/${APP.id}/channels`))).status, 401);
    assert.equal((await fetch(server.httpUrl('/apps/999/channels'))).status, 404);
  });

  it('checks every event before publishing any: names, channels, data size (413), batch size', async () => {
    const w = await subscribe('news');
    const refused: [Promise<unknown>, number][] = [
      [sdk.trigger('news', 'pusher:evil', {}), 400],
      [sdk.trigger(['news', 'a', 'b', 'c'], 'x', {}), 400],
      [sdk.trigger('news', 'x', { big: 'y'.repeat(1100) }), 413],
      [sdk.post({ path: '/events', body: { name: 'x', channels: ['news', 'bad channel'], data: '1' } as never }), 400],
      [sdk.post({ path: '/events', body: { name: 'x', channels: ['news'], data: '1', socket_id: 'nope' } as never }), 400],
      [sdk.triggerBatch([{ channel: 'news', name: 'a', data: '1' }, { channel: 'news', name: 'b', data: '2' }, { channel: 'news', name: 'c', data: '3' }]), 400],
      [sdk.triggerBatch([{ channel: 'news', name: 'ok', data: '1' }, { channel: 'news', name: 'pusher_internal:x', data: '2' }]), 400],
    ];
    for (const [p, status] of refused) assert.equal(await statusOf(p), status);
    await sdk.trigger('news', 'after', {});
    assert.equal((await w.next()).event, 'after', 'none of the refused events was delivered');
  });
});
