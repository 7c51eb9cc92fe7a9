import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'vitest';
import type { Broker, BrokerEvents } from '../../src/core/broker/broker.js';
import type { RoomRecord } from '../../src/core/broker/room-state.js';
import type { ChatMessage, Sender } from '../../src/protocol/index.js';
import { waitFor } from '../helpers/free-port.js';

/** Everything a test needs to make brokers of one driver that share state (one "cluster"). */
export interface BrokerFactory {
  /** A broker over the shared state; brokers made by one factory see each other's rooms. */
  make(opts?: { chatHistory?: number; roomTtlMs?: number }): Promise<Broker>;
  /** Drops every broker and the shared state. */
  cleanup(): Promise<void>;
}

export const sender: Sender = { id: 'abc', name: 'Ann', color: 'hsl(1, 70%, 60%)', role: 'viewer' };

/** Records what a broker reports. */
export class Recorder implements BrokerEvents {
  chats: { room: string; msg: ChatMessage; epoch: string }[] = [];
  frames: { room: string; tier: string; frame: Uint8Array }[] = [];
  broadcasts: { room: string; node: string | null }[] = [];
  viewers = new Map<string, number>();
  demand = new Map<string, ReadonlySet<string>>();
  bus: boolean[] = [];
  states: { room: string; key: string; record: RoomRecord | null }[] = [];
  /** Called with each room state announcement, as it arrives. */
  onState: ((room: string, key: string, record: RoomRecord | null) => void) | null = null;
  chat(room: string, msg: ChatMessage, epoch: string): void {
    this.chats.push({ room, msg, epoch });
  }
  frame(room: string, tier: string, frame: Uint8Array): void {
    this.frames.push({ room, tier, frame });
  }
  remoteBroadcast(room: string, claim: { node: string } | null): void {
    this.broadcasts.push({ room, node: claim?.node ?? null });
  }
  remoteViewers(room: string, viewers: number): void {
    this.viewers.set(room, viewers);
  }
  remoteDemand(room: string, tiers: ReadonlySet<string>): void {
    this.demand.set(room, tiers);
  }
  busState(up: boolean): void {
    this.bus.push(up);
  }
  roomState(room: string, key: string, record: RoomRecord | null): void {
    this.states.push({ room, key, record });
    this.onState?.(room, key, record);
  }
}

export async function started(broker: Broker): Promise<{ broker: Broker; events: Recorder }> {
  const events = new Recorder();
  await broker.start(events);
  return { broker, events };
}

const draft = (text: string) => ({ type: 'chat' as const, at: Date.now(), from: sender, text });

/** The behaviour every broker driver must have, on one node. */
export function brokerContract(name: string, factory: () => Promise<BrokerFactory>): void {
  describe(`${name} broker (contract)`, () => {
    let f: BrokerFactory | null = null;
    const make = async (opts?: { chatHistory?: number }) => {
      f ??= await factory();
      return started(await f.make(opts));
    };
    afterEach(async () => {
      await f?.cleanup();
      f = null;
    });

    it('gives chat messages gapless ids from 1 and announces each one to the node, in order', async () => {
      const { broker, events } = await make();
      // Subscribed before the first post: a Redis subscription that lands later misses messages.
      await broker.watch('r1');
      const posted: ChatMessage[] = [];
      for (let i = 1; i <= 20; i++) posted.push(await broker.postChat('r1', { ...draft(`m${i}`), ref: `ref${i}` }));
      assert.deepEqual(posted.map((m) => m.id), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(posted[4]!.ref, 'ref5');
      await waitFor(() => (events.chats.length === 20 ? true : undefined), 3000, 'all chat events');
      assert.deepEqual(events.chats.map((c) => c.msg.id), posted.map((m) => m.id));
      assert.deepEqual(events.chats[0]!.msg, posted[0]);
      assert.equal(new Set(events.chats.map((c) => c.epoch)).size, 1);
    });

    it('answers history by id: the newest, the ones after an id, and marks evicted ones as truncated', async () => {
      const { broker } = await make({ chatHistory: 50 });
      for (let i = 1; i <= 60; i++) await broker.postChat('h', draft(`m${i}`));
      const newest = await broker.history('h', null, 10);
      assert.deepEqual([newest.messages.length, newest.messages[0]!.id, newest.latestId, newest.truncated], [10, 51, 60, false]);
      const after = await broker.history('h', 55, 100);
      assert.deepEqual(after.messages.map((m) => m.id), [56, 57, 58, 59, 60]);
      assert.equal(after.truncated, false);
      const paged = await broker.history('h', 20, 5);
      assert.deepEqual(paged.messages.map((m) => m.id), [21, 22, 23, 24, 25].map((x) => x), 'oldest first, up to max');
      // 11..60 are kept; asking after 5 lost 6..10.
      const gone = await broker.history('h', 5, 100);
      assert.equal(gone.truncated, true);
      assert.equal(gone.messages[0]!.id, 11);
      const none = await broker.history('h', 60, 100);
      assert.deepEqual([none.messages.length, none.truncated], [0, false]);
      assert.equal(after.epoch, newest.epoch);
    });

    it('keeps chat, ids and epoch for a new broker over the same state (a restart)', async () => {
      const a = await make();
      for (let i = 1; i <= 3; i++) await a.broker.postChat('keep', draft(`m${i}`));
      const before = await a.broker.history('keep', null, 10);
      await a.broker.close();
      const b = await make();
      const after = await b.broker.history('keep', null, 10);
      assert.equal(after.epoch, before.epoch);
      assert.deepEqual(after.messages, before.messages);
      assert.equal((await b.broker.postChat('keep', draft('m4'))).id, 4);
    });

    it('starts a forgotten room afresh, under a new epoch', async () => {
      const { broker } = await make();
      await broker.postChat('gone', draft('x'));
      const before = await broker.history('gone', null, 10);
      await broker.forget('gone');
      if (broker.clustered) return; // shared state expires by TTL, not by one node forgetting
      const after = await broker.history('gone', null, 10);
      assert.notEqual(after.epoch, before.epoch);
      assert.deepEqual([after.latestId, after.messages.length], [0, 0]);
    });

    it('an empty room has an epoch and no messages', async () => {
      const { broker } = await make();
      const page = await broker.history('empty', null, 10);
      assert.ok(page.epoch.length > 0);
      assert.deepEqual([page.latestId, page.messages.length, page.truncated], [0, 0, false]);
      assert.equal((await broker.history('empty', null, 10)).epoch, page.epoch);
    });

    it('records a claim with a growing fence, and forgets it on release', async () => {
      const { broker } = await make();
      broker.claim('c');
      const first = await waitFor(async () => (await broker.currentClaim('c')) ?? undefined, 3000, 'the claim');
      assert.equal(first.node, broker.nodeId);
      broker.claim('c');
      const second = await waitFor(async () => {
        const c = await broker.currentClaim('c');
        return c && c.fence > first.fence ? c : undefined;
      }, 3000, 'a newer claim');
      assert.ok(second.fence > first.fence);
      broker.release('c');
      await waitFor(async () => ((await broker.currentClaim('c')) === null ? true : undefined), 3000, 'the release');
    });

    it('is up, and closes twice without complaint', async () => {
      const { broker } = await make();
      assert.equal(broker.up, true);
      await broker.close();
      await broker.close();
    });
  });
}
