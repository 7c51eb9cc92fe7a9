import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'vitest';
import type { ChannelBus, ChannelBusEvents, CountChange } from '../../src/core/broker/channel-bus.js';
import { waitFor } from '../helpers/free-port.js';

/** Makes channel buses of one driver, on one node. */
export interface ChannelBusFactory {
  make(): Promise<ChannelBus>;
  /** Closes every bus made and what they share. */
  cleanup(): Promise<void>;
}

/** Records what a channel bus reports. */
export class BusRecorder implements ChannelBusEvents {
  messages: { app: string; channel: string; payload: string }[] = [];
  controls: { app: string; payload: string }[] = [];
  reaps: { app: string; channel: string; userId: string | null }[] = [];
  resyncs: { app: string; channel: string; userId: string | null; change: CountChange }[] = [];
  message(app: string, channel: string, payload: string): void {
    this.messages.push({ app, channel, payload });
  }
  control(app: string, payload: string): void {
    this.controls.push({ app, payload });
  }
  reaped(app: string, channel: string, userId: string | null): void {
    this.reaps.push({ app, channel, userId });
  }
  resynced(app: string, channel: string, userId: string | null, change: CountChange): void {
    this.resyncs.push({ app, channel, userId, change });
  }
}

export function startedBus(bus: ChannelBus): { bus: ChannelBus; events: BusRecorder } {
  const events = new BusRecorder();
  bus.start(events);
  return { bus, events };
}

/**
 * Waits for a marker published after the payloads under test: payloads of one node arrive in
 * the order they were published, so once the marker is in, anything published before it that
 * was going to arrive has arrived.
 */
async function marker(bus: ChannelBus, events: BusRecorder, kind: 'message' | 'control'): Promise<void> {
  const text = `marker-${Math.random()}`;
  if (kind === 'message') {
    await bus.listen('marker-app', 'marker');
    await bus.publish('marker-app', 'marker', text);
    await waitFor(() => (events.messages.some((m) => m.payload === text) ? true : undefined), 3000, 'the marker message');
    events.messages = events.messages.filter((m) => m.app !== 'marker-app');
  } else {
    bus.listenApp('marker-app');
    await waitFor(async () => {
      await bus.control('marker-app', text);
      return events.controls.some((c) => c.payload === text) ? true : undefined;
    }, 3000, 'the marker control message');
    events.controls = events.controls.filter((c) => c.app !== 'marker-app');
  }
}

/** The behaviour every channel bus driver must have, on one node. */
export function channelBusContract(name: string, factory: () => Promise<ChannelBusFactory>): void {
  describe(`${name} channel bus (contract)`, () => {
    let f: ChannelBusFactory | null = null;
    const make = async () => {
      f ??= await factory();
      return startedBus(await f.make());
    };
    afterEach(async () => {
      await f?.cleanup();
      f = null;
    });

    it('delivers a published payload to the listeners of that channel of that app only, until they stop listening', async () => {
      const { bus, events } = await make();
      await bus.listen('a', 'news');
      await bus.publish('a', 'other', 'not listened');
      await bus.publish('b', 'news', 'other app');
      const payload = JSON.stringify({ event: 'x', data: 'héllo ✓' });
      await bus.publish('a', 'news', payload);
      await waitFor(() => (events.messages.length > 0 ? true : undefined), 3000, 'the message');
      await marker(bus, events, 'message');
      assert.deepEqual(events.messages, [{ app: 'a', channel: 'news', payload }]);
      bus.unlisten('a', 'news');
      await bus.publish('a', 'news', 'after unlisten');
      await marker(bus, events, 'message');
      assert.deepEqual(events.messages.length, 1);
    });

    it("delivers control messages to the app's listeners only", async () => {
      const { bus, events } = await make();
      bus.listenApp('a');
      await marker(bus, events, 'control');
      await bus.control('b', 'other app');
      await bus.control('a', 'terminate u1');
      await marker(bus, events, 'control');
      assert.deepEqual(events.controls, [{ app: 'a', payload: 'terminate u1' }]);
      bus.unlistenApp('a');
      await bus.control('a', 'after unlisten');
      await marker(bus, events, 'control');
      assert.equal(events.controls.length, 1);
    });

    it('answers each subscription count with the total before and after, counting a repeated value once', async () => {
      const { bus } = await make();
      assert.deepEqual(await bus.setSubscriptions('a', 'c', 2), { before: 0, after: 2 });
      assert.deepEqual(await bus.setSubscriptions('a', 'c', 3), { before: 2, after: 3 });
      assert.deepEqual(await bus.setSubscriptions('a', 'c', 3), { before: 3, after: 3 });
      assert.deepEqual(await bus.setSubscriptions('a', 'other', 1), { before: 0, after: 1 });
      assert.deepEqual(await bus.setSubscriptions('a', 'c', 0), { before: 3, after: 0 });
      assert.deepEqual(await bus.setSubscriptions('a', 'c', 0), { before: 0, after: 0 });
    });

    it("answers each presence count with the user's count before and after, and lists members with their info", async () => {
      const { bus } = await make();
      const ch = 'presence-room';
      assert.deepEqual(await bus.setPresence('a', ch, 'u1', 1, '{"name":"Ann"}'), { before: 0, after: 1 });
      assert.deepEqual(await bus.setPresence('a', ch, 'u1', 2, '{"name":"Ann"}'), { before: 1, after: 2 });
      assert.deepEqual(await bus.setPresence('a', ch, 'u2', 1, '{"name":"Bo"}'), { before: 0, after: 1 });
      assert.deepEqual(await bus.setPresence('b', ch, 'u3', 1, '{}'), { before: 0, after: 1 });
      assert.deepEqual(await bus.members('a', ch), new Map([['u1', '{"name":"Ann"}'], ['u2', '{"name":"Bo"}']]));
      assert.deepEqual(await bus.setPresence('a', ch, 'u1', 0, ''), { before: 2, after: 0 });
      assert.deepEqual(await bus.members('a', ch), new Map([['u2', '{"name":"Bo"}']]));
      assert.deepEqual(await bus.members('a', 'presence-empty'), new Map());
    });

    it("lists an app's occupied channels with their subscription and member counts", async () => {
      const { bus } = await make();
      await bus.setSubscriptions('a', 'presence-p', 3);
      await bus.setPresence('a', 'presence-p', 'u1', 2, '{}');
      await bus.setPresence('a', 'presence-p', 'u2', 1, '{}');
      await bus.setSubscriptions('a', 'public', 1);
      await bus.setSubscriptions('b', 'elsewhere', 5);
      assert.deepEqual(
        await bus.channels('a'),
        new Map([
          ['presence-p', { subscriptions: 3, users: 2 }],
          ['public', { subscriptions: 1, users: 0 }],
        ]),
      );
      await bus.setSubscriptions('a', 'public', 0);
      assert.deepEqual([...(await bus.channels('a')).keys()], ['presence-p']);
      assert.deepEqual(await bus.channels('none'), new Map());
    });

    it("keeps a cache channel's last event until its ttl runs out", async () => {
      const { bus } = await make();
      assert.equal(await bus.getCache('a', 'cache-x'), null);
      await bus.setCache('a', 'cache-x', 'first', 60_000);
      await bus.setCache('a', 'cache-x', 'second', 60_000);
      assert.equal(await bus.getCache('a', 'cache-x'), 'second');
      assert.equal(await bus.getCache('b', 'cache-x'), null);
      await bus.setCache('a', 'cache-short', 'soon gone', 150);
      assert.equal(await bus.getCache('a', 'cache-short'), 'soon gone');
      await waitFor(async () => ((await bus.getCache('a', 'cache-short')) === null ? true : undefined), 3000, 'the cache entry to expire');
    });

    it("answers an app's connection count with the node's own count while it is alone", async () => {
      const { bus } = await make();
      assert.equal(bus.setConnections('a', 3), 3);
      assert.equal(bus.setConnections('a', 4), 4);
      assert.equal(bus.setConnections('b', 1), 1);
      assert.equal(bus.setConnections('a', 0), 0);
    });
  });
}
