import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { ChannelBus } from '../../src/core/broker/channel-bus.js';
import type { AppConnection } from '../../src/core/channels/app-connections.js';
import type { ChannelEvent, ChannelSubscriber } from '../../src/core/channels/channel-events.js';
import type { ChannelHooks } from '../../src/core/channels/channel-hooks.js';
import { ChannelHub, type SubscribeRequest } from '../../src/core/channels/channel-hub.js';
import { CountSync } from '../../src/core/channels/count-sync.js';
import { silentLog } from '../../src/core/log.js';
import { LocalChannelBus } from '../../src/adapters/local/local-channel-bus.js';
import { SharedChannelBus } from '../helpers/shared-channel-bus.js';

const APP = 'app1';

/** Events as JSON, so a test reads what a subscriber got. */
const jsonEncoder = { encode: (e: ChannelEvent) => JSON.stringify(e) };

class Sub implements ChannelSubscriber {
  readonly got: (ChannelEvent | { type: 'succeeded'; members: string[] | null })[] = [];
  dropped = 0;
  constructor(readonly socketId: string) {}
  sendText(text: string) {
    this.got.push(JSON.parse(text) as ChannelEvent);
    return 'sent' as const;
  }
  onSendDropped() {
    this.dropped++;
  }
  events(type?: string) {
    return this.got.filter((e) => type === undefined || e.type === type);
  }
}

type Hook = [string, ...unknown[]];
function recordingHooks(log: Hook[]): ChannelHooks {
  return {
    occupied: (...a) => log.push(['occupied', ...a]),
    vacated: (...a) => log.push(['vacated', ...a]),
    memberAdded: (...a) => log.push(['member_added', ...a]),
    memberRemoved: (...a) => log.push(['member_removed', ...a]),
    clientEvent: (...a) => log.push(['client_event', ...a]),
    cacheMiss: (...a) => log.push(['cache_miss', ...a]),
  };
}

function hubOn(bus: ChannelBus, hooks: Hook[] = []): ChannelHub {
  const hub = new ChannelHub({ bus, encoder: jsonEncoder, hooks: recordingHooks(hooks), log: silentLog });
  hub.start();
  return hub;
}

function req(channel: string, sub: Sub, extra: Partial<SubscribeRequest> = {}): SubscribeRequest {
  return { app: APP, channel, subscriber: sub, succeeded: (m) => sub.got.push({ type: 'succeeded', members: m ? [...m.keys()].sort() : null }), ...extra };
}

const presence = (userId: string, maxMembers = 100) => ({ userId, info: JSON.stringify({ name: userId }), maxMembers });
/** Until every bus delivery and report now under way has run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('the channel hub across nodes', () => {
  it('delivers an event to every subscriber on every node except the socket it names', async () => {
    const bus = new SharedChannelBus();
    const [h0, h1] = [hubOn(bus.node()), hubOn(bus.node())];
    const [a1, a2, b1] = [new Sub('1.1'), new Sub('1.2'), new Sub('2.1')];
    for (const [h, s] of [[h0, a1], [h0, a2], [h1, b1]] as const) assert.equal(await h.subscribe(req('news', s)), 'subscribed');
    await h1.publish(APP, 'news', 'hello', '{"n":1}', { except: '1.1' });
    await settle();
    assert.deepEqual(a1.events('event'), []);
    assert.deepEqual(a2.events('event'), [{ type: 'event', channel: 'news', event: 'hello', data: '{"n":1}' }]);
    assert.deepEqual(b1.events('event'), a2.events('event'));
  });

  it('reports a channel occupied when its first subscriber anywhere comes, and vacated only when the last anywhere leaves', async () => {
    const bus = new SharedChannelBus();
    const hooks: Hook[] = [];
    const [h0, h1] = [hubOn(bus.node(), hooks), hubOn(bus.node(), hooks)];
    const [a, b] = [new Sub('1.1'), new Sub('2.1')];
    await h0.subscribe(req('c', a));
    await h1.subscribe(req('c', b));
    await settle();
    h0.unsubscribe(APP, 'c', a);
    await settle();
    assert.deepEqual(hooks, [['occupied', APP, 'c']], 'node 1 still has a subscriber: not vacated');
    h1.unsubscribe(APP, 'c', b);
    await settle();
    assert.deepEqual(hooks, [['occupied', APP, 'c'], ['vacated', APP, 'c']]);
  });

  it("announces member_added for a user's first connection in the cluster and member_removed for their last, once each", async () => {
    const bus = new SharedChannelBus();
    const hooks: Hook[] = [];
    const [h0, h1] = [hubOn(bus.node(), hooks), hubOn(bus.node(), hooks)];
    const watcher = new Sub('1.9');
    await h0.subscribe(req('presence-p', watcher, { presence: presence('w') }));
    const [ann0, ann1] = [new Sub('1.1'), new Sub('2.1')];
    await h0.subscribe(req('presence-p', ann0, { presence: presence('ann') }));
    await h1.subscribe(req('presence-p', ann1, { presence: presence('ann') }));
    await settle();
    assert.deepEqual(watcher.events('member_added').map((e) => (e as { userId: string }).userId), ['ann']);
    assert.deepEqual(ann1.got[0], { type: 'succeeded', members: ['ann', 'w'] }, 'the member list holds the new socket\'s own user');
    assert.deepEqual(ann0.events('member_added'), [], 'the connection that joined gets no member_added for itself');
    h0.unsubscribe(APP, 'presence-p', ann0);
    await settle();
    assert.deepEqual(watcher.events('member_removed'), [], 'ann is still connected on node 1');
    h1.unsubscribe(APP, 'presence-p', ann1);
    await settle();
    assert.deepEqual(watcher.events('member_removed'), [{ type: 'member_removed', channel: 'presence-p', userId: 'ann' }]);
    assert.deepEqual(hooks.filter((h) => h[0].startsWith('member')), [
      ['member_added', APP, 'presence-p', 'w'],
      ['member_added', APP, 'presence-p', 'ann'],
      ['member_removed', APP, 'presence-p', 'ann'],
    ]);
  });

  it('refuses a new member once the presence channel is full in the whole cluster, but not another socket of a member', async () => {
    const bus = new SharedChannelBus();
    const [h0, h1] = [hubOn(bus.node()), hubOn(bus.node())];
    await h0.subscribe(req('presence-p', new Sub('1.1'), { presence: presence('ann', 2) }));
    await h1.subscribe(req('presence-p', new Sub('2.1'), { presence: presence('bob', 2) }));
    assert.equal(await h1.subscribe(req('presence-p', new Sub('2.2'), { presence: presence('cy', 2) })), 'presence_full');
    assert.equal(await h1.subscribe(req('presence-p', new Sub('2.3'), { presence: presence('ann', 2) })), 'subscribed');
    assert.deepEqual([...(await h0.members(APP, 'presence-p')).keys()].sort(), ['ann', 'bob']);
  });

  it('announces the users and channels of a dead node once, from the node that reaped them', async () => {
    const bus = new SharedChannelBus();
    const hooks: Hook[] = [];
    const [h0, h1] = [hubOn(bus.node(), hooks), hubOn(bus.node(), hooks)];
    const watcher = new Sub('1.9');
    await h0.subscribe(req('presence-p', watcher, { presence: presence('w') }));
    await h1.subscribe(req('presence-p', new Sub('2.1'), { presence: presence('ghost') }));
    await h1.subscribe(req('lonely', new Sub('2.2')));
    await settle();
    hooks.length = 0;
    bus.reap(1, 0);
    await settle();
    assert.deepEqual(watcher.events('member_removed'), [{ type: 'member_removed', channel: 'presence-p', userId: 'ghost' }]);
    assert.deepEqual(hooks, [
      ['member_removed', APP, 'presence-p', 'ghost'],
      ['vacated', APP, 'lonely'],
    ]);
  });

  it("closes a user's connections on every node at the app's request, and counts connections cluster-wide", async () => {
    const bus = new SharedChannelBus();
    const [h0, h1] = [hubOn(bus.node()), hubOn(bus.node())];
    const closed: string[] = [];
    const conn = (socketId: string, userId: string | null): AppConnection => ({ socketId, userId, terminate: () => closed.push(socketId) });
    const [a, b, c] = [conn('1.1', 'ann'), conn('2.1', 'ann'), conn('2.2', 'bob')];
    assert.ok(h0.connections.open(APP, a, 3));
    assert.ok(h1.connections.open(APP, b, 3));
    assert.ok(h1.connections.open(APP, c, 3));
    assert.equal(h0.connections.open(APP, conn('1.2', null), 3), false, 'the app has 3 connections in the cluster');
    h0.connections.signedIn(APP, a, 'ann');
    h1.connections.signedIn(APP, b, 'ann');
    h1.connections.signedIn(APP, c, 'bob');
    await h0.connections.terminateUser(APP, 'ann');
    await settle();
    assert.deepEqual(closed.sort(), ['1.1', '2.1']);
  });
});

describe('the channel hub on one node', () => {
  it('sends what arrives during a subscription right after its confirmation, in order', async () => {
    const bus = new LocalChannelBus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const getCache = bus.getCache.bind(bus);
    bus.getCache = async (app, channel) => {
      await gate;
      return getCache(app, channel);
    };
    const hub = hubOn(bus);
    const sub = new Sub('1.1');
    const done = hub.subscribe(req('cache-c', sub, { cache: true }));
    await settle();
    await hub.publish(APP, 'cache-c', 'e1', '1');
    assert.equal(sub.got.length, 0, 'nothing before the confirmation');
    release();
    assert.equal(await done, 'subscribed');
    assert.deepEqual(sub.got.map((e) => (e.type === 'event' ? e.event : e.type)), ['succeeded', 'cache_miss', 'e1']);
  });

  it("gives a cache channel's new subscribers its last event, or a cache_miss (and its hook) when it has none", async () => {
    const hooks: Hook[] = [];
    const hub = hubOn(new LocalChannelBus(), hooks);
    const first = new Sub('1.1');
    await hub.subscribe(req('cache-c', first, { cache: true }));
    assert.deepEqual(first.events('cache_miss'), [{ type: 'cache_miss', channel: 'cache-c' }]);
    assert.deepEqual(hooks.filter((h) => h[0] === 'cache_miss'), [['cache_miss', APP, 'cache-c']]);
    await hub.publish(APP, 'cache-c', 'price', '{"p":2}', { cache: true, except: '1.1' });
    const second = new Sub('1.2');
    await hub.subscribe(req('cache-c', second, { cache: true }));
    assert.deepEqual(second.events('event'), [{ type: 'event', channel: 'cache-c', event: 'price', data: '{"p":2}' }], 'the excluded sender does not stop the event being the last one');
  });

  it('leaves nothing behind when a subscription is given up before it completes', async () => {
    const hooks: Hook[] = [];
    const bus = new LocalChannelBus();
    const hub = hubOn(bus, hooks);
    const sub = new Sub('1.1');
    const pending = hub.subscribe(req('presence-p', sub, { presence: presence('ann') }));
    hub.unsubscribe(APP, 'presence-p', sub);
    assert.equal(await pending, 'cancelled');
    await settle();
    assert.deepEqual(sub.got, []);
    assert.equal((await bus.members(APP, 'presence-p')).size, 0);
    assert.equal((await bus.channels(APP)).size, 0);
    assert.equal(hub.stats().channels, 0, 'the channel is forgotten');
  });

  it('answers unavailable, and keeps no subscriber, when the bus refuses', async () => {
    const bus = new LocalChannelBus();
    bus.members = async () => {
      throw new (await import('../../src/core/broker/broker.js')).BusUnavailableError('down');
    };
    const hub = hubOn(bus);
    assert.equal(await hub.subscribe(req('presence-p', new Sub('1.1'), { presence: presence('ann') })), 'unavailable');
    await settle();
    assert.equal(hub.stats().channels, 0);
  });
});

describe('a count reported to the bus', () => {
  it('goes out in order, one report at a time, coalescing the values set while one is in flight', async () => {
    const sent: number[] = [];
    const changes: [number, number][] = [];
    let total = 0;
    const sync = new CountSync(
      async (n) => {
        sent.push(n);
        await new Promise((r) => setTimeout(r, 5));
        const before = total;
        total = n;
        return { before, after: n };
      },
      (c) => changes.push([c.before, c.after]),
    );
    const first = sync.set(1);
    void sync.set(2);
    void sync.set(0);
    const last = sync.set(3);
    await Promise.all([first, last]);
    assert.deepEqual(sent, [1, 3], 'the values set while 1 was in flight collapse into the newest');
    assert.deepEqual(changes, [[0, 1], [1, 3]]);
    assert.ok(sync.idle);
    await sync.set(3);
    assert.deepEqual(sent, [1, 3], 'an unchanged count is not sent again');
  });
});
