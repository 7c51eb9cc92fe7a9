// The Pusher endpoint on two nodes sharing one Redis: each an in-process server with its own
// broker, as separate machines would be. What a client sees must not depend on the node.
import assert from 'node:assert/strict';
import type Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, it } from 'vitest';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { APP, AuthEndpoint, connected, once, pusherClient, sdkFor, signingSdk, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { PusherWire } from '../helpers/pusher-wire.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import type { TestServer } from '../helpers/test-server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { TestClient } from '../helpers/ws-client.js';

describeNeeding(redisSkip(), 'the Pusher protocol across two nodes sharing Redis', () => {
  let redis: RedisServer;
  let receiver: WebhookReceiver;
  let hookUrl: string;
  let prefix = 0;
  const servers: TestServer[] = [];
  const clients: PusherJs[] = [];
  const closers: { close(): Promise<void> }[] = [];
  const auths: AuthEndpoint[] = [];

  const cluster = async (fields: Record<string, unknown> = {}): Promise<[TestServer, TestServer]> => {
    const p = `pc${++prefix}:`;
    const app = testApp({ enable_client_messages: true, webhooks: [{ url: hookUrl, event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'] }], ...fields });
    const nodes: TestServer[] = [];
    for (let i = 0; i < 2; i++) nodes.push(await startPusherServer([app], { redisUrl: redis.url, redisPrefix: p, nodeId: `n${i}` }));
    servers.push(...nodes);
    return nodes as [TestServer, TestServer];
  };
  const authFor = async (s: TestServer) => {
    const a = new AuthEndpoint(sdkFor(s));
    auths.push(a);
    return `${await a.start()}/channel-auth`;
  };
  const client = (s: TestServer, authEndpoint?: string, user?: string) => {
    const c = pusherClient(s, authEndpoint ? { authEndpoint, authParams: user ? { user } : {} } : {});
    clients.push(c);
    return c;
  };
  const subscribed = async (c: PusherJs, name: string) => {
    const ch = c.subscribe(name);
    await once((cb) => ch.bind('pusher:subscription_succeeded', cb), 5000, `subscribed to ${name}`);
    return ch;
  };
  const hooks = () => receiver.received.flatMap((r) => r.events);
  /** Until the cluster counts this many subscriptions of the channel (the nodes handled joins and leaves). */
  const subscriptionsAre = (s: TestServer, channel: string, n: number) =>
    waitFor(async () => {
      const info = (await (await sdkFor(s).get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } })).json()) as { subscription_count: number };
      return info.subscription_count === n ? true : undefined;
    }, 5000, `${n} subscriptions of ${channel}`);
  /** Everything node `s` published on the channel before now has reached `ch` (one node publishes in order). */
  const caughtUp = async (s: TestServer, ch: { bind(e: string, cb: (d: unknown) => void): unknown }, channel: string) => {
    const name = `marker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const seen = once((cb) => ch.bind(name, cb), 5000, name);
    await sdkFor(s).trigger(channel, name, {});
    await seen;
  };
  /** Every webhook the nodes have made so far has been delivered. */
  const hooksDelivered = (...nodes: TestServer[]) => Promise.all(nodes.map((n) => n.pusher.webhooks.idle()));

  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = new WebhookReceiver(signingSdk());
    hookUrl = await receiver.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await Promise.all(closers.splice(0).map((c) => c.close()));
    await Promise.all(auths.splice(0).map((a) => a.stop()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await receiver?.stop();
    await redis?.stop();
  });

  it('delivers an event triggered through one node to subscribers on both, except the socket named, wherever it is', async () => {
    const [a, b] = await cluster();
    const [ca, cb] = [client(a), client(b)];
    const [cha, chb] = [await subscribed(ca, 'news'), await subscribed(cb, 'news')];
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    cha.bind('headline', (d: unknown) => gotA.push(d));
    chb.bind('headline', (d: unknown) => gotB.push(d));
    await sdkFor(b).trigger('news', 'headline', { n: 1 }, { socket_id: ca.connection.socket_id });
    await sdkFor(b).trigger('news', 'headline', { n: 2 });
    await waitFor(() => (gotA.length === 1 && gotB.length === 2 ? true : undefined), 5000, 'deliveries on both nodes');
    assert.deepEqual(gotA, [{ n: 2 }], 'the socket on node a named by socket_id on node b skipped the first');
  });

  it('keeps one member list for the cluster: one user on both nodes is one member, added once, removed after the last', async () => {
    const [a, b] = await cluster();
    const [authA, authB] = [await authFor(a), await authFor(b)];
    const watcher = client(a, authA, 'wendy');
    const wch = await subscribed(watcher, 'presence-lobby');
    const added: string[] = [];
    const removed: string[] = [];
    wch.bind('pusher:member_added', (m: { id: string }) => added.push(m.id));
    wch.bind('pusher:member_removed', (m: { id: string }) => removed.push(m.id));
    const annA = client(a, authA, 'ann');
    await subscribed(annA, 'presence-lobby');
    const annB = client(b, authB, 'ann');
    const chB = (await subscribed(annB, 'presence-lobby')) as unknown as { members: { count: number } };
    assert.equal(chB.members.count, 2, 'node b lists wendy (node a) and ann');
    await waitFor(() => (added.length === 1 ? true : undefined), 5000, 'member_added');
    annA.disconnect();
    await subscriptionsAre(b, 'presence-lobby', 2);
    await caughtUp(a, wch, 'presence-lobby');
    assert.equal(removed.length, 0, 'ann is still on node b');
    annB.disconnect();
    await waitFor(() => (removed.length === 1 ? true : undefined), 5000, 'member_removed');
    assert.deepEqual([added, removed], [['ann'], ['ann']]);
    await hooksDelivered(a, b);
    const users = (await (await sdkFor(b).get({ path: '/channels/presence-lobby/users' })).json()) as { users: { id: string }[] };
    assert.deepEqual(users.users, [{ id: 'wendy' }], 'node b lists the member on node a');
    assert.deepEqual(hooks().filter((e) => e.name === 'member_added').map((e) => (e as { user_id: string }).user_id).sort(), ['ann', 'wendy'], 'one webhook per user');
  });

  it('passes client events to subscribers on the other node', async () => {
    const [a, b] = await cluster();
    const [ca, cb] = [client(a, await authFor(a)), client(b, await authFor(b))];
    const [cha, chb] = [await subscribed(ca, 'private-chat'), await subscribed(cb, 'private-chat')];
    const got = once((cb2) => chb.bind('client-hello', cb2));
    cha.trigger('client-hello', { from: 'a' });
    assert.deepEqual(await got, { from: 'a' });
  });

  it('reports channel_occupied when the first subscriber anywhere comes and channel_vacated only when the last anywhere leaves', async () => {
    const [a, b] = await cluster();
    const [ca, cb] = [client(a), client(b)];
    await subscribed(ca, 'shared');
    await subscribed(cb, 'shared');
    ca.disconnect();
    await subscriptionsAre(b, 'shared', 1);
    await hooksDelivered(a, b);
    assert.ok(!hooks().some((e) => e.name === 'channel_vacated' && e.channel === 'shared'), 'node b still has a subscriber');
    cb.disconnect();
    await waitFor(() => hooks().find((e) => e.name === 'channel_vacated' && e.channel === 'shared'), 5000, 'channel_vacated');
    await hooksDelivered(a, b);
    const mine = hooks().filter((e) => e.channel === 'shared').map((e) => e.name);
    assert.deepEqual(mine, ['channel_occupied', 'channel_vacated'], 'each once, for the cluster');
  });

  it('lists the channels of the cluster on either node, and answers the counts of both', async () => {
    const [a, b] = await cluster();
    await subscribed(client(a), 'counted');
    await subscribed(client(b), 'counted');
    const info = await (await sdkFor(a).get({ path: '/channels/counted', params: { info: 'subscription_count' } })).json();
    assert.deepEqual(info, { occupied: true, subscription_count: 2 });
    const list = await (await sdkFor(b).get({ path: '/channels', params: { info: 'subscription_count' } })).json();
    assert.deepEqual(list, { channels: { counted: { subscription_count: 2 } } });
  });

  it("closes a user's sockets on every node through terminate_connections, and gives cache channels' last event on the other node", async () => {
    const [a, b] = await cluster();
    const sdk = sdkFor(a) as Pusher;
    const wires: PusherWire[] = [];
    for (const s of [a, b]) {
      const { wire, socketId } = await PusherWire.established(s.wsPort, APP.key);
      closers.push(wire);
      const signin = sdk.authenticateUser(socketId, { id: 'ann' });
      wire.send({ event: 'pusher:signin', data: { auth: signin.auth, user_data: signin.user_data } });
      await wire.next('pusher:signin_success');
      wires.push(wire);
    }
    await sdkFor(b).terminateUserConnections('ann');
    assert.deepEqual(await Promise.all(wires.map((w) => w.waitClose(5000))), [4009, 4009]);

    await sdk.trigger('cache-rates', 'rate', { usd: 1.1 });
    const late = client(b);
    const ch = late.subscribe('cache-rates');
    assert.deepEqual(await once((cb) => ch.bind('rate', cb), 5000, 'the last event, from node b'), { usd: 1.1 });
  });

  it("holds the app's max_connections across the cluster", async () => {
    const [a, b] = await cluster({ max_connections: 2 });
    await connected(client(a));
    await connected(client(b));
    // Each node learns the other's count within a few seconds.
    const code = await waitFor(
      async () => {
        const w = await PusherWire.connect(a.wsPort, APP.key);
        const first = await w.next();
        if (first.event !== 'pusher:error') {
          // Accepted: node a does not know node b's connection yet. Leave, and try again.
          await w.close();
          return undefined;
        }
        return w.waitClose();
      },
      10_000,
      'a third connection to be refused',
    );
    assert.equal(code, 4004);
  });

  it("lets a pusher-js client on one node follow a room broadcast and chatted on the other, and posts a node's HTTP chat to both", async () => {
    const [a, b] = await cluster();
    const cam = await a.broadcaster('stage');
    const viewer = await TestClient.connect(a.wsUrl('stage', { name: 'Ann' }));
    closers.push(cam, viewer);
    await viewer.nextText('history');
    const f = client(b);
    const ch = f.subscribe('room.stage');
    const state = (await once((cb) => ch.bind('state', cb), 5000, 'state')) as { live: boolean };
    assert.equal(state.live, true, 'node b knows the room is live on node a');
    const chats: { id: number; text: string; from: { role: string } }[] = [];
    ch.bind('chat', (m: (typeof chats)[number]) => chats.push(m));
    viewer.send({ type: 'chat', text: 'from node a' });
    const own = await viewer.nextText('chat');
    await waitFor(() => chats[0], 5000, 'the chat on node b');
    assert.equal(chats[0]!.id, own.id);
    await sdkFor(b).trigger('room.stage', 'chat', { text: 'from the backend', name: 'Shop' });
    const posted = await viewer.nextText('chat', 5000);
    assert.deepEqual([posted.id, posted.text, posted.from.role], [own.id + 1, 'from the backend', 'server']);
    await waitFor(() => chats[1], 5000, 'the posted message on node b');
    assert.equal(chats[1]!.id, posted.id);
  });
});
