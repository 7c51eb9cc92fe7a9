import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'vitest';
import type { Broker } from '../../src/core/broker/broker.js';
import type { RoomRecord } from '../../src/core/broker/room-state.js';
import { waitFor } from '../helpers/free-port.js';
import { started, type BrokerFactory, type Recorder } from './broker-contract.js';

/** Waits for the announcement of `key` in `room` that satisfies `pred`. */
const announced = (events: Recorder, room: string, key: string, pred: (r: RoomRecord | null) => boolean = () => true) =>
  waitFor(() => events.states.find((s) => s.room === room && s.key === key && pred(s.record)) ?? undefined, 3000, `the announcement of ${room}/${key}`);

/** The behaviour every broker's room state store must have (settings now, moderation state later). */
export function roomStateContract(name: string, factory: () => Promise<BrokerFactory>): void {
  describe(`${name} room state store (contract)`, () => {
    let f: BrokerFactory | null = null;
    const make = async (opts?: { roomTtlMs?: number }) => {
      f ??= await factory();
      return started(await f.make(opts));
    };
    afterEach(async () => {
      await f?.cleanup();
      f = null;
    });

    it('stores a record, reads it back, lists it, and announces it to the node watching the room', async () => {
      const { broker, events } = await make();
      await broker.watch('s1');
      const written = await broker.roomState.set('s1', 'settings', { private: true, slowModeSeconds: 5 });
      assert.deepEqual(written, { value: { private: true, slowModeSeconds: 5 }, expiresAt: null });
      assert.deepEqual(await broker.roomState.get('s1', 'settings'), written);
      assert.deepEqual([...(await broker.roomState.all('s1'))], [['settings', written]]);
      const a = await announced(events, 's1', 'settings');
      assert.deepEqual(a.record, written);
      assert.equal(await broker.roomState.get('s1', 'other'), null);
      assert.equal(await broker.roomState.get('elsewhere', 'settings'), null);
    });

    it('stores a record before announcing it: a read started by the announcement finds it', async () => {
      const { broker, events } = await make();
      const other = await make();
      await broker.watch('s2');
      const reads: Promise<RoomRecord | null>[] = [];
      events.onState = (room, key) => reads.push(other.broker.roomState.get(room, key));
      await broker.roomState.set('s2', 'settings', { private: true });
      await waitFor(() => (reads.length ? true : undefined), 3000, 'the announcement');
      assert.deepEqual((await reads[0])?.value, { private: true });
    });

    it('merges fields into an object record, and concurrent merges of different fields all hold', async () => {
      const a = await make();
      const b = await make();
      await a.broker.roomState.set('m', 'settings', { private: false, joinNotices: true });
      const merged = await a.broker.roomState.merge('m', 'settings', { private: true });
      assert.deepEqual(merged.value, { private: true, joinNotices: true });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).broker.roomState.merge('m', 'settings', { [`f${i}`]: i })),
      );
      const all = (await b.broker.roomState.get('m', 'settings'))!.value as Record<string, unknown>;
      for (let i = 0; i < 20; i++) assert.equal(all[`f${i}`], i, `field f${i} survived`);
      assert.equal(all.private, true);
      // A record that is not an object starts afresh.
      await a.broker.roomState.set('m', 'n', 7);
      assert.deepEqual((await a.broker.roomState.merge('m', 'n', { x: 1 })).value, { x: 1 });
    });

    it('deletes a record and announces the deletion', async () => {
      const { broker, events } = await make();
      await broker.watch('d');
      await broker.roomState.set('d', 'settings', { private: true });
      await broker.roomState.delete('d', 'settings');
      assert.equal(await broker.roomState.get('d', 'settings'), null);
      await announced(events, 'd', 'settings', (r) => r === null);
      await broker.roomState.delete('d', 'settings');
    });

    it('lets a record with a ttl expire: it reads as absent afterwards', async () => {
      const { broker } = await make();
      const r = await broker.roomState.set('t', 'mute:abc', true, 300);
      assert.ok(r.expiresAt !== null && r.expiresAt > Date.now());
      await broker.roomState.set('t', 'ban:xyz', true);
      assert.deepEqual((await broker.roomState.get('t', 'mute:abc'))?.value, true);
      await waitFor(async () => ((await broker.roomState.get('t', 'mute:abc')) === null ? true : undefined), 3000, 'the expiry');
      assert.deepEqual([...(await broker.roomState.all('t')).keys()], ['ban:xyz']);
    });

    it('keeps records for a new broker over the same state (a restart)', async () => {
      const a = await make();
      await a.broker.roomState.set('keep', 'settings', { private: true });
      await a.broker.close();
      const b = await make();
      assert.deepEqual((await b.broker.roomState.get('keep', 'settings'))?.value, { private: true });
    });

    it('lets records of a room nobody uses expire after the room TTL', async () => {
      const a = await make({ roomTtlMs: 400 });
      await a.broker.roomState.set('old', 'settings', { private: true });
      await a.broker.close();
      // A local store expires them when a server starts (its files' age); Redis by key expiry.
      await waitFor(
        async () => {
          const b: Broker = (await make({ roomTtlMs: 400 })).broker;
          const r = await b.roomState.get('old', 'settings');
          await b.close();
          return r === null ? true : undefined;
        },
        5000,
        'the records to expire',
      );
    });

    it('refuses record keys that are not short plain names', async () => {
      const { broker } = await make();
      await assert.rejects(broker.roomState.set('k', 'Bad Key', 1));
      await assert.rejects(broker.roomState.set('k', '"quoted"', 1));
    });
  });
}

/** Across nodes: what one node stores, every node watching the room hears of and reads. */
export function roomStateClusterContract(name: string, factory: () => Promise<BrokerFactory>): void {
  describe(`${name} room state across nodes (contract)`, () => {
    let f: BrokerFactory | null = null;
    afterEach(async () => {
      await f?.cleanup();
      f = null;
    });

    it('announces a change made on one node to every node watching the room, and only those', async () => {
      f = await factory();
      const a = await started(await f.make());
      const b = await started(await f.make());
      const c = await started(await f.make());
      await b.broker.watch('x');
      await a.broker.roomState.merge('x', 'settings', { private: true });
      const got = await announced(b.events, 'x', 'settings');
      assert.deepEqual(got.record?.value, { private: true });
      assert.deepEqual((await c.broker.roomState.get('x', 'settings'))?.value, { private: true }, 'any node reads it');
      await b.broker.roomState.delete('x', 'settings');
      await announced(b.events, 'x', 'settings', (r) => r === null);
      assert.equal(c.events.states.length, 0, 'a node not watching the room hears nothing');
    });
  });
}
