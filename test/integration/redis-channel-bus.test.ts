import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { RedisBroker } from '../../src/adapters/redis/redis-broker.js';
import { BusUnavailableError } from '../../src/core/broker/broker.js';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { ManagedProcess } from '../helpers/managed-process.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { started } from '../contract/broker-contract.js';
import { BusRecorder, startedBus } from '../contract/channel-bus-contract.js';

const NODE_SCRIPT = fileURLToPath(new URL('../helpers/channel-bus-node.ts', import.meta.url));
// Short leases keep the reaping tests quick: ticks every 400 ms.
const LEASE_MS = 1200;

interface Node {
  broker: RedisBroker;
  bus: RedisBroker['channels'];
  events: BusRecorder;
}

type ShareSpec = { app: string; channel: string; count: number; user?: string; info?: string };

describeNeeding(redisSkip(), 'Redis channel bus across nodes', () => {
  let redis: RedisServer;
  let clusters = 0;
  const brokers: RedisBroker[] = [];
  const procs: ManagedProcess[] = [];
  const proxies: TcpProxy[] = [];

  const node = async (prefix: string, nodeId = '', url = redis.url, leaseMs = LEASE_MS): Promise<Node> => {
    const broker = new RedisBroker({ url, prefix, nodeId, chatHistory: 10, roomTtlMs: 60_000, tiers: ['source'], log: pino({ level: 'silent' }), leaseMs });
    brokers.push(broker);
    await started(broker);
    const { events } = startedBus(broker.channels);
    return { broker, bus: broker.channels, events };
  };
  const cluster = async (n: number): Promise<{ prefix: string; nodes: Node[] }> => {
    const prefix = `cl${++clusters}:`;
    const nodes: Node[] = [];
    for (let i = 0; i < n; i++) nodes.push(await node(prefix));
    return { prefix, nodes };
  };
  /** A node in its own process (see channel-bus-node.ts), ready once its shares are in Redis. */
  const processNode = async (prefix: string, shares: ShareSpec[], nodeId = ''): Promise<{ proc: ManagedProcess; id: string; lines: () => Record<string, unknown>[] }> => {
    const proc = new ManagedProcess('channel-bus-node', process.execPath, ['--import', 'tsx', NODE_SCRIPT], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL: redis.url, PREFIX: prefix, LEASE_MS: String(LEASE_MS), NODE_ID: nodeId, SHARES: JSON.stringify(shares) },
    });
    procs.push(proc);
    const lines = () =>
      proc.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await proc.waitForOutput((out) => out.includes('"event":"ready"'), 20_000, 'the node to be ready');
    return { proc, id: String(lines().find((l) => l.event === 'ready')!.node), lines };
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  /** A node that reaches Redis through a proxy the test can cut. */
  const cuttableNode = async (prefix: string, leaseMs = LEASE_MS): Promise<Node & { proxy: TcpProxy }> => {
    const proxy = await TcpProxy.start(redis.port);
    proxies.push(proxy);
    return { ...(await node(prefix, '', proxy.url, leaseMs)), proxy };
  };
  const liveness = async (prefix: string, n: Node) => (await redis.command('EXISTS', `${prefix}node:${n.broker.nodeId}`)).trim() === ':1';
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('delivers a payload published on one node to the other nodes that listen, and control messages to every node of the app', async () => {
    const { nodes } = await cluster(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    await b.bus.listen('app', 'news');
    b.bus.listenApp('app');
    c.bus.listenApp('app');
    await a.bus.publish('app', 'news', '{"event":"hello"}');
    await waitFor(() => b.events.messages[0], 3000, 'the message on b');
    assert.deepEqual(b.events.messages, [{ app: 'app', channel: 'news', payload: '{"event":"hello"}' }]);
    assert.equal(c.events.messages.length, 0, 'c does not listen to the channel');
    await waitFor(async () => {
      await a.bus.control('app', 'terminate u1');
      return b.events.controls.length > 0 && c.events.controls.length > 0 ? true : undefined;
    }, 3000, 'the control message on b and c');
    assert.equal(a.events.controls.length, 0, 'a does not listen to the app');
    assert.equal(b.events.controls[0]!.payload, 'terminate u1');
  });

  it('sums subscriptions across nodes, so that the first subscription anywhere and the last are seen by the node that makes them', async () => {
    const { nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    assert.deepEqual(await a.bus.setSubscriptions('app', 'c', 2), { before: 0, after: 2 }, 'occupied, seen by a');
    assert.deepEqual(await b.bus.setSubscriptions('app', 'c', 1), { before: 2, after: 3 });
    assert.deepEqual(await b.bus.setSubscriptions('app', 'c', 1), { before: 3, after: 3 }, 'a repeated value counts once');
    assert.deepEqual(await a.bus.channels('app'), new Map([['c', { subscriptions: 3, users: 0 }]]));
    assert.deepEqual(await a.bus.setSubscriptions('app', 'c', 0), { before: 3, after: 1 }, 'not vacated while b has one');
    assert.deepEqual(await b.bus.setSubscriptions('app', 'c', 0), { before: 1, after: 0 }, 'vacated, seen by b');
    assert.deepEqual(await a.bus.channels('app'), new Map());
  });

  it("counts a user connected on two nodes as one member: only the user's first connection in the cluster and last are transitions", async () => {
    const { nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    const ch = 'presence-room';
    assert.deepEqual(await a.bus.setPresence('app', ch, 'u1', 1, '{"name":"Ann"}'), { before: 0, after: 1 }, 'first connection: member added');
    assert.deepEqual(await b.bus.setPresence('app', ch, 'u1', 1, '{"name":"Ann"}'), { before: 1, after: 2 }, 'second node: not new');
    assert.deepEqual(await b.bus.setPresence('app', ch, 'u2', 1, '{"name":"Bo"}'), { before: 0, after: 1 });
    await a.bus.setSubscriptions('app', ch, 1);
    await b.bus.setSubscriptions('app', ch, 2);
    assert.deepEqual(await a.bus.members('app', ch), new Map([['u1', '{"name":"Ann"}'], ['u2', '{"name":"Bo"}']]));
    assert.deepEqual((await b.bus.channels('app')).get(ch), { subscriptions: 3, users: 2 });
    assert.deepEqual(await a.bus.setPresence('app', ch, 'u1', 0, ''), { before: 2, after: 1 }, 'leaving one node is not the last connection');
    assert.deepEqual(await b.bus.members('app', ch), new Map([['u1', '{"name":"Ann"}'], ['u2', '{"name":"Bo"}']]));
    assert.deepEqual(await b.bus.setPresence('app', ch, 'u1', 0, ''), { before: 1, after: 0 }, 'the last connection: member removed');
    assert.deepEqual(await a.bus.members('app', ch), new Map([['u2', '{"name":"Bo"}']]));
  });

  it("totals an app's connections over the nodes, the other nodes' as read every few seconds", async () => {
    const { nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    a.bus.setConnections('app', 3);
    b.bus.setConnections('app', 2);
    await waitFor(() => (a.bus.setConnections('app', 3) === 5 ? true : undefined), 3000, 'a to count 5');
    await waitFor(() => (b.bus.setConnections('app', 2) === 5 ? true : undefined), 3000, 'b to count 5');
    b.bus.setConnections('app', 0);
    await waitFor(() => (a.bus.setConnections('app', 3) === 3 ? true : undefined), 3000, 'a to count its own 3 only');
  });

  it('reaps a killed node exactly once: one remaining node reports the members and channels it leaves, within a lease and a tick', async () => {
    const { prefix, nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    await b.bus.setSubscriptions('app', 'shared', 1);
    await b.bus.setSubscriptions('app', 'presence-p', 1);
    await b.bus.setPresence('app', 'presence-p', 'u2', 1, '{"name":"Bo"}');
    const dead = await processNode(prefix, [
      { app: 'app', channel: 'alone', count: 2 },
      { app: 'app', channel: 'shared', count: 1 },
      { app: 'app', channel: 'presence-p', count: 2 },
      { app: 'app', channel: 'presence-p', count: 1, user: 'u1', info: '{"name":"Ann"}' },
      { app: 'app', channel: 'presence-p', count: 1, user: 'u2', info: '{"name":"Bo"}' },
    ]);
    assert.deepEqual((await a.bus.channels('app')).get('presence-p'), { subscriptions: 3, users: 2 });
    const t0 = Date.now();
    dead.proc.signal('SIGKILL');
    await dead.proc.exited;
    const reaper = await waitFor(() => [a, b].find((n) => n.events.reaps.length > 0), 10_000, 'a node to reap the killed one');
    const elapsed = Date.now() - t0;
    // The lease runs out, then the next tick of a remaining node reaps (plus time for slow machines).
    assert.ok(elapsed < LEASE_MS + LEASE_MS / 3 + 1500, `reaped after ${elapsed} ms`);
    assert.deepEqual(reaper.events.reaps, [
      { app: 'app', channel: 'presence-p', userId: 'u1' },
      { app: 'app', channel: 'alone', userId: null },
    ]);
    // The script that reaps also takes the node out of the set it is found in: nobody else can reap it.
    assert.ok(!(await redis.command('SMEMBERS', `${prefix}cb:nodes`)).includes(dead.id));
    const other = reaper === a ? b : a;
    assert.deepEqual(other.events.reaps, []);
    assert.deepEqual(
      await a.bus.channels('app'),
      new Map([
        ['shared', { subscriptions: 1, users: 0 }],
        ['presence-p', { subscriptions: 1, users: 1 }],
      ]),
    );
    assert.deepEqual(await a.bus.members('app', 'presence-p'), new Map([['u2', '{"name":"Bo"}']]));
  });

  it('reaps a node stalled past its lease, and the node, once awake, applies its shares again and reports what they bring back', async () => {
    const { prefix, nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    const stalled = await processNode(prefix, [
      { app: 'app', channel: 'presence-q', count: 1 },
      { app: 'app', channel: 'presence-q', count: 1, user: 'u3', info: '{"name":"Cy"}' },
    ]);
    stalled.proc.signal('SIGSTOP');
    try {
      const reaper = await waitFor(() => [a, b].find((n) => n.events.reaps.length === 2), 10_000, 'a node to reap the stalled one');
      assert.deepEqual(reaper.events.reaps, [
        { app: 'app', channel: 'presence-q', userId: 'u3' },
        { app: 'app', channel: 'presence-q', userId: null },
      ]);
      assert.deepEqual(await a.bus.channels('app'), new Map());
    } finally {
      stalled.proc.signal('SIGCONT');
    }
    await waitFor(() => (stalled.lines().filter((l) => l.event === 'resynced').length === 2 ? true : undefined), 5000, 'the woken node to report its shares back');
    assert.deepEqual(
      stalled.lines().filter((l) => l.event === 'resynced'),
      [
        { event: 'resynced', app: 'app', channel: 'presence-q', userId: null, before: 0, after: 1 },
        { event: 'resynced', app: 'app', channel: 'presence-q', userId: 'u3', before: 0, after: 1 },
      ],
    );
    assert.deepEqual(await a.bus.channels('app'), new Map([['presence-q', { subscriptions: 1, users: 1 }]]));
    assert.deepEqual(await b.bus.members('app', 'presence-q'), new Map([['u3', '{"name":"Cy"}']]));
  });

  it('reaps a node that closes cleanly at the next tick of another node, which reports what it leaves', async () => {
    const { nodes } = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    await a.bus.setSubscriptions('app', 'presence-c', 1);
    await a.bus.setPresence('app', 'presence-c', 'u7', 1, '{}');
    await a.broker.close();
    await waitFor(() => (b.events.reaps.length === 2 ? true : undefined), 5000, 'b to reap a');
    assert.deepEqual(b.events.reaps, [
      { app: 'app', channel: 'presence-c', userId: 'u7' },
      { app: 'app', channel: 'presence-c', userId: null },
    ]);
    assert.deepEqual(await b.bus.channels('app'), new Map());
  });

  it('removes, at start, what a previous run with the same node id left, and reports it', async () => {
    const prefix = `cl${++clusters}:`;
    const first = await processNode(prefix, [
      { app: 'app', channel: 'presence-r', count: 1 },
      { app: 'app', channel: 'presence-r', count: 1, user: 'u4' },
    ], 'fixed-node');
    first.proc.signal('SIGKILL');
    await first.proc.exited;
    // Started again at once, within the lease of the killed run: nobody reaps it, it cleans up itself.
    const again = await node(prefix, 'fixed-node');
    await waitFor(() => (again.events.resyncs.length === 2 ? true : undefined), 5000, 'the new run to report the leftovers');
    assert.deepEqual(again.events.resyncs, [
      { app: 'app', channel: 'presence-r', userId: 'u4', change: { before: 1, after: 0 } },
      { app: 'app', channel: 'presence-r', userId: null, change: { before: 1, after: 0 } },
    ]);
    assert.deepEqual(await again.bus.channels('app'), new Map());
    assert.deepEqual(await again.bus.members('app', 'presence-r'), new Map());
  });

  describe('when a node is cut off from Redis, which keeps its data', () => {
    it('applies what was set while cut off once back, and reports what that changed in the cluster', async () => {
      const prefix = `cl${++clusters}:`;
      const a = await cuttableNode(prefix);
      const b = await node(prefix);
      await a.bus.setSubscriptions('app', 'presence-t', 1);
      await a.bus.setPresence('app', 'presence-t', 'u4', 1, '{"n":4}');
      await b.bus.setPresence('app', 'presence-t', 'u6', 1, '{"n":6}');
      await b.bus.setSubscriptions('app', 'presence-t', 1);
      a.proxy.cut();
      await waitFor(() => (a.broker.up ? undefined : true), 5000, 'a to see the bus down');
      await assert.rejects(a.bus.setPresence('app', 'presence-t', 'u4', 0, ''), BusUnavailableError);
      await assert.rejects(a.bus.setPresence('app', 'presence-t', 'u5', 1, '{"n":5}'), BusUnavailableError);
      await assert.rejects(a.bus.setSubscriptions('app', 'news', 1), BusUnavailableError);
      await assert.rejects(a.bus.setSubscriptions('app', 'presence-t', 0), BusUnavailableError);
      assert.deepEqual(await b.bus.members('app', 'presence-t'), new Map([['u4', '{"n":4}'], ['u6', '{"n":6}']]), 'b knows nothing of it yet');
      a.proxy.restore();
      await waitFor(() => (a.events.resyncs.length === 3 ? true : undefined), 5000, 'a to report the changes');
      // presence-t went from 2 subscriptions to 1: not a change to report.
      assert.deepEqual(a.events.resyncs, [
        { app: 'app', channel: 'news', userId: null, change: { before: 0, after: 1 } },
        { app: 'app', channel: 'presence-t', userId: 'u5', change: { before: 0, after: 1 } },
        { app: 'app', channel: 'presence-t', userId: 'u4', change: { before: 1, after: 0 } },
      ]);
      assert.deepEqual(await b.bus.members('app', 'presence-t'), new Map([['u6', '{"n":6}'], ['u5', '{"n":5}']]));
      assert.deepEqual(
        await b.bus.channels('app'),
        new Map([
          ['presence-t', { subscriptions: 1, users: 2 }],
          ['news', { subscriptions: 1, users: 0 }],
        ]),
      );
    });

    it('does not reap the nodes that come back after an outage longer than the lease, only the one that stays away', async () => {
      const prefix = `cl${++clusters}:`;
      // A longer lease, hence grace: b reconnects up to a second after its proxy is restored.
      const lease = 3000;
      const [a, b, c] = [await cuttableNode(prefix, lease), await cuttableNode(prefix, lease), await cuttableNode(prefix, lease)];
      for (const [n, user] of [[a, 'ua'], [b, 'ub'], [c, 'uc']] as const) await n.bus.setPresence('app', 'presence-o', user, 1, '{}');
      // Connections of an app a listens to are read by its ticks only (a has none of its own).
      a.bus.listenApp('app');
      for (const n of [a, b, c]) n.proxy.cut();
      await waitFor(async () => ((await liveness(prefix, a)) || (await liveness(prefix, b)) || (await liveness(prefix, c)) ? undefined : true), 2 * lease, 'every lease to run out');
      a.proxy.restore();
      // a has ticked since it came back once it counts connections added now: that tick would
      // have reaped b, which is still away, were it not for the grace that follows an outage.
      await waitFor(() => (a.broker.up ? true : undefined), 5000, 'a to be back');
      await redis.command('HSET', `${prefix}cb:conns:app`, 'elsewhere', '7');
      await waitFor(() => (a.bus.setConnections('app', 0) === 7 ? true : undefined), lease, 'a to tick');
      b.proxy.restore();
      const reaper = await waitFor(() => [a, b].find((n) => n.events.reaps.length > 0), 4 * lease, 'c to be reaped');
      assert.deepEqual(reaper.events.reaps, [{ app: 'app', channel: 'presence-o', userId: 'uc' }]);
      assert.deepEqual(a.events.reaps.concat(b.events.reaps), reaper.events.reaps);
      assert.deepEqual([...(await a.bus.members('app', 'presence-o')).keys()].sort(), ['ua', 'ub']);
    });
  });

  describe('when Redis goes away and comes back empty', () => {
    it("applies every node's shares again, and what was set during the outage, with nothing doubled and nothing reported", async () => {
      const { nodes } = await cluster(2);
      const [a, b] = nodes as [Node, Node];
      await a.bus.setSubscriptions('app', 'presence-s', 2);
      await b.bus.setSubscriptions('app', 'presence-s', 1);
      await a.bus.setPresence('app', 'presence-s', 'u1', 1, '{"n":1}');
      await b.bus.setPresence('app', 'presence-s', 'u1', 1, '{"n":1}');
      await b.bus.setPresence('app', 'presence-s', 'u2', 1, '{"n":2}');
      a.bus.setConnections('app', 3);
      b.bus.setConnections('app', 1);
      await redis.stop();
      await waitFor(() => (!a.broker.up && !b.broker.up ? true : undefined), 5000, 'the bus to be down');
      await assert.rejects(a.bus.setPresence('app', 'presence-s', 'u3', 1, '{"n":3}'), BusUnavailableError);
      await assert.rejects(a.bus.setSubscriptions('app', 'presence-s', 3), BusUnavailableError);
      await assert.rejects(a.bus.publish('app', 'presence-s', 'x'), BusUnavailableError);
      await assert.rejects(a.bus.members('app', 'presence-s'), BusUnavailableError);
      await redis.start();
      await waitFor(async () => ((await a.bus.channels('app').catch(() => null))?.get('presence-s')?.users === 3 ? true : undefined), 5000, 'the shares to be back');
      assert.deepEqual((await b.bus.channels('app')).get('presence-s'), { subscriptions: 4, users: 3 });
      assert.deepEqual(await b.bus.members('app', 'presence-s'), new Map([['u1', '{"n":1}'], ['u2', '{"n":2}'], ['u3', '{"n":3}']]));
      assert.deepEqual(await a.bus.setPresence('app', 'presence-s', 'u1', 1, '{"n":1}'), { before: 2, after: 2 }, 'u1 counted once per node');
      await waitFor(() => (a.bus.setConnections('app', 3) === 4 ? true : undefined), 3000, 'connections counted once per node');
      // A command on each node after its shares are back: their replies have been handled.
      await b.bus.members('app', 'presence-s');
      assert.deepEqual([a.events.resyncs, b.events.resyncs], [[], []], 'a rebuild after Redis lost its data is not reported');
    });
  });
});
