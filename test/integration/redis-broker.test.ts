import assert from 'node:assert/strict';
import pino from 'pino';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisBroker } from '../../src/adapters/redis/redis-broker.js';
import { BusUnavailableError } from '../../src/core/broker/broker.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { sender, started } from '../contract/broker-contract.js';

const draft = (text: string) => ({ type: 'chat' as const, at: Date.now(), from: sender, text });
const frameOf = (seq: number) => {
  const f = encodeFrame(new Uint8Array([0xff, 0xd8, seq & 0xff, 0xff, 0xd9]), seq, 0);
  new DataView(f.buffer).setFloat64(16, Date.now() + seq / 1000, true);
  return f;
};

describeNeeding(redisSkip(), 'Redis broker across nodes', () => {
  let redis: RedisServer;
  let n = 0;
  const nodes: RedisBroker[] = [];
  const node = async (leaseMs = 3000) => {
    const b = new RedisBroker({ url: redis.url, prefix: `c${++n}:`, nodeId: '', chatHistory: 100, roomTtlMs: 60_000, tiers: ['source', 'sd'], log: pino({ level: 'silent' }), leaseMs });
    nodes.push(b);
    return started(b);
  };
  /** Two nodes of one cluster (one prefix). */
  const pair = async (leaseMs = 3000) => {
    const prefix = `p${++n}:`;
    const mk = () => {
      const b = new RedisBroker({ url: redis.url, prefix, nodeId: '', chatHistory: 100, roomTtlMs: 60_000, tiers: ['source', 'sd'], log: pino({ level: 'silent' }), leaseMs });
      nodes.push(b);
      return started(b);
    };
    return [await mk(), await mk()] as const;
  };
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((b) => b.close()));
    await redis.stop();
  });

  it('announces a message posted on one node to every node watching the room, with one id', async () => {
    const [a, b] = await pair();
    a.broker.watch('x');
    b.broker.watch('x');
    await b.broker.history('x', null, 1); // the subscription is in place once a command returns after it
    const posted = await a.broker.postChat('x', draft('hello'));
    const seen = await waitFor(() => b.events.chats[0], 3000, 'the message on node b');
    assert.deepEqual(seen.msg, posted);
    assert.equal((await b.broker.postChat('x', draft('back'))).id, 2);
    await waitFor(() => (a.events.chats.length === 2 ? true : undefined), 3000, 'both messages on node a');
  });

  it('closes the older claim when another node claims the room, and reports the broadcaster to watchers', async () => {
    const [a, b] = await pair();
    a.broker.watch('t');
    b.broker.watch('t');
    await b.broker.history('t', null, 1);
    a.broker.claim('t');
    await waitFor(() => b.events.broadcasts.find((e) => e.node === a.broker.nodeId), 3000, 'b to see a broadcasting');
    b.broker.claim('t');
    await waitFor(() => a.events.broadcasts.find((e) => e.node === b.broker.nodeId), 3000, 'a to learn it was taken over');
    const claim = await a.broker.currentClaim('t');
    assert.equal(claim?.node, b.broker.nodeId);
    b.broker.release('t');
    await waitFor(() => (a.events.broadcasts.at(-1)?.node === null ? true : undefined), 3000, 'a to see the release');
  });

  it('sums viewer counts of the other nodes, and drops a node that leaves', async () => {
    const [a, b] = await pair();
    a.broker.watch('v');
    b.broker.watch('v');
    await b.broker.history('v', null, 1);
    a.broker.reportViewers('v', 3);
    await waitFor(() => (b.events.viewers.get('v') === 3 ? true : undefined), 3000, 'b to count 3 remote viewers');
    assert.equal(a.events.viewers.get('v') ?? 0, 0, "a node does not count its own viewers as remote");
    await a.broker.close();
    await waitFor(() => (b.events.viewers.get('v') === 0 ? true : undefined), 3000, 'b to count 0 after a left');
  });

  it('relays frames to consuming nodes only, newest last, and keeps the last one for late joiners', async () => {
    const [a, b] = await pair();
    const c = await node();
    a.broker.watch('f');
    b.broker.watch('f');
    a.broker.claim('f');
    await waitFor(async () => (await a.broker.currentClaim('f')) ?? undefined, 3000, 'the claim');
    b.broker.consume('f', 'source', true);
    await b.broker.history('f', null, 1);
    await waitFor(() => (b.events.broadcasts.length > 0 ? true : undefined), 3000, 'b to know the broadcaster');
    for (let i = 1; i <= 200; i++) a.broker.publishFrame('f', 'source', frameOf(i));
    await waitFor(() => (b.events.frames.at(-1) && new DataView(b.events.frames.at(-1)!.frame.buffer).getUint32(4, true) === 200 ? true : undefined), 5000, 'the newest frame on b');
    const seqs = b.events.frames.map((e) => new DataView(e.frame.buffer, e.frame.byteOffset).getUint32(4, true));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'frames arrive in order, never twice');
    assert.ok(seqs.length <= 200);
    assert.equal(c.events.frames.length, 0, 'a node of another cluster gets nothing');
    const last = await b.broker.lastFrame('f', 'source');
    assert.equal(new DataView(last!.buffer, last!.byteOffset).getUint32(4, true), 200);
    assert.equal(await b.broker.lastFrame('f', 'sd'), null);
  });

  it('tells the broadcasting node which tiers other nodes consume', async () => {
    const [a, b] = await pair(900);
    a.broker.watch('d');
    b.broker.watch('d');
    a.broker.claim('d');
    await waitFor(async () => (await a.broker.currentClaim('d')) ?? undefined, 3000, 'the claim');
    b.broker.consume('d', 'sd', true);
    await waitFor(() => (a.events.demand.get('d')?.has('sd') ? true : undefined), 3000, 'demand for sd on a');
    b.broker.consume('d', 'sd', false);
    await waitFor(() => (a.events.demand.get('d')?.size === 0 ? true : undefined), 3000, 'no demand once b stops');
  });

  describe('when Redis goes away and comes back', () => {
    it('refuses chat while down, reports the bus state, and resumes by itself', async () => {
      const [a, b] = await pair();
      a.broker.watch('o');
      b.broker.watch('o');
      await a.broker.postChat('o', draft('before'));
      await redis.stop();
      await waitFor(() => (a.events.bus.at(-1) === false ? true : undefined), 5000, 'the bus to be down');
      assert.equal(a.broker.up, false);
      await assert.rejects(a.broker.postChat('o', draft('during')), BusUnavailableError);
      const t0 = Date.now();
      await redis.start();
      await waitFor(() => (a.events.bus.at(-1) === true && b.events.bus.at(-1) === true ? true : undefined), 5000, 'the bus to be up again');
      assert.ok(Date.now() - t0 < 5000);
      // Redis came back empty (no persistence): a new log, under a new epoch, reaches both nodes.
      const m = await a.broker.postChat('o', draft('after'));
      const seen = await waitFor(() => b.events.chats.find((c) => c.msg.text === 'after'), 5000, 'the message after recovery on b');
      assert.equal(seen.msg.id, m.id);
    });
  });
});
