// The audience and moderation across two nodes sharing one Redis: the viewer list, presence,
// notices, mutes, kicks, bans, deletes, slow mode and moderator tokens hold on every node.
import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, it } from 'vitest';
import type { AudienceMessage, ModerateRequest } from '../../src/protocol/index.js';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { APP, once, pusherClient, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { mintOverHttp, refusedUpgrade } from '../helpers/room-admin.js';
import type { TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { intervalMs: 50, graceMs: 400, noticeWindowMs: 250 };
const identity = (n: number | string) => `cluster-audience-${String(n).padStart(6, '0')}`;

describeNeeding(redisSkip(), 'the audience and moderation across nodes sharing Redis', () => {
  let redis: RedisServer;
  let prefix = 0;
  const servers: TestServer[] = [];
  const open: TestClient[] = [];
  const pushers: PusherJs[] = [];
  const pair = async () => {
    const p = `au${++prefix}:`;
    for (const id of ['a', 'b']) servers.push(await startPusherServer([testApp()], { redisUrl: redis.url, redisPrefix: p, nodeId: id }, { audience: FAST }));
    return servers.slice(-2) as [TestServer, TestServer];
  };
  const connect = async (s: TestServer, room: string, query: Record<string, string | number> = {}) => {
    const c = await TestClient.connect(s.wsUrl(room, query));
    open.push(c);
    await c.nextText('welcome');
    await c.nextText('history');
    return c;
  };
  const host = async (s: TestServer, room: string) => {
    const c = await s.broadcaster(room, { name: 'Host', identity: identity(`${room}-host`) });
    open.push(c);
    await c.nextText('history');
    return c;
  };
  const idOf = (c: TestClient) => c.texts('welcome')[0]!.you.id;
  const moderate = (c: TestClient, req: Omit<ModerateRequest, 'type'>) => c.send({ type: 'moderate', ...req });
  const done = (c: TestClient, action: string) => c.nextTextWhere('moderated', (m) => m.action === action, 4000, `${action} done`);
  const names = (a: AudienceMessage) => a.members.map((m) => m.name).sort();

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const p of pushers.splice(0)) p.disconnect();
    await Promise.all(open.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('lists the whole cluster’s people on every node, and Pusher presence members on either node see them all', async () => {
    const [a, b] = await pair();
    const cam = await host(a, 'wide');
    const ann = await connect(a, 'wide', { name: 'ann', identity: identity(1) });
    const bob = await connect(b, 'wide', { name: 'bob', identity: identity(2) });
    const want = ['Host', 'ann', 'bob'].sort();
    for (const c of [cam, ann, bob]) await c.nextTextWhere('audience', (x) => names(x).join() === want.join(), 5000, 'everyone on the list');
    const p = pusherClient(b, { authEndpoint: b.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, name: 'Zed' } });
    pushers.push(p);
    const ch = p.subscribe('presence-room.wide');
    await once((cb) => ch.bind('pusher:subscription_succeeded', cb), 5000, 'subscribed');
    const ids: string[] = [];
    (ch as unknown as { members: { each(cb: (m: { id: string }) => void): void } }).members.each((m) => ids.push(m.id));
    for (const c of [cam, ann, bob]) assert.ok(ids.includes(idOf(c)), 'every native person is a member');
    await cam.nextTextWhere('audience', (x) => names(x).includes('Zed'), 5000, 'the follower on node a’s list');
    await bob.close();
    await cam.nextTextWhere('audience', (x) => !names(x).includes('bob'), 5000, 'bob gone on node a');
  });

  it('tells a join once for the cluster, and nothing for a reconnect that lands on the other node', async () => {
    const [a, b] = await pair();
    const cam = await host(a, 'hop');
    const tom = await connect(b, 'hop', { name: 'tom', identity: identity(3) });
    assert.equal((await cam.nextTextWhere('chat', (m) => m.kind === 'join', 4000, 'the join')).text, 'tom joined');
    await tom.close();
    const back = await connect(a, 'hop', { name: 'tom', identity: identity(3) });
    back.send({ type: 'chat', text: 'moved' });
    await cam.nextTextWhere('chat', (m) => m.text === 'moved');
    await new Promise((r) => setTimeout(r, FAST.graceMs + FAST.noticeWindowMs * 3));
    assert.deepEqual(cam.texts('chat').filter((m) => m.kind).map((m) => m.text), ['tom joined'], 'one notice in all');
  });

  it('mutes, kicks and bans people connected to the other node; a ban holds on both nodes', async () => {
    const [a, b] = await pair();
    await host(a, 'mod');
    const token = await mintOverHttp(a.httpUrl(''), 'mod', a.key('mod'), ['watch', 'chat', 'moderate']);
    // The moderator is on b with a token minted on a; the people are on a.
    const mod = await connect(b, 'mod', { name: 'Mod', token, identity: identity(10) });
    assert.deepEqual(mod.texts('welcome')[0]!.grants, ['watch', 'chat', 'moderate']);
    const ann = await connect(a, 'mod', { name: 'ann', identity: identity(11) });
    moderate(mod, { action: 'mute', target: idOf(ann), seconds: 60 });
    const muted = await done(mod, 'mute');
    assert.equal((await ann.nextText('muted', 4000)).until, muted.until);
    ann.send({ type: 'chat', text: 'hello?' });
    assert.equal((await ann.nextTextWhere('error', (e) => e.code === 'MUTED')).until, muted.until);
    const annOnB = await connect(b, 'mod', { name: 'ann', identity: identity(11) });
    assert.equal(annOnB.texts('welcome')[0]!.mutedUntil, muted.until, 'muted on the other node too');

    const tom = await connect(a, 'mod', { name: 'tom', identity: identity(12) });
    moderate(mod, { action: 'kick', target: idOf(tom) });
    await done(mod, 'kick');
    assert.equal(await tom.waitClose(), 4503);

    const eve = await connect(a, 'mod', { name: 'eve', identity: identity(13) });
    const eveOnB = await connect(b, 'mod', { name: 'eve', identity: identity(13) });
    moderate(mod, { action: 'ban', target: idOf(eve), seconds: 60 });
    await done(mod, 'ban');
    assert.deepEqual([await eve.waitClose(), await eveOnB.waitClose()], [4504, 4504], 'closed on both nodes');
    for (const s of [a, b]) {
      assert.deepEqual(await refusedUpgrade(s.wsUrl('mod', { identity: identity(13) })), { status: 403, code: 'BANNED' }, 'by identity');
      assert.deepEqual(await refusedUpgrade(s.wsUrl('mod', { identity: identity(14) })), { status: 403, code: 'BANNED' }, 'by address');
    }
  });

  it('deletes, clears and slow mode from one node reach the other: tombstones in its history and the stored log', async () => {
    const [a, b] = await pair();
    const cam = await host(a, 'del');
    const ann = await connect(b, 'del', { name: 'ann', identity: identity(20) });
    ann.send({ type: 'chat', text: 'oops' });
    const oops = await ann.nextTextWhere('chat', (m) => m.text === 'oops');
    await cam.nextTextWhere('chat', (m) => m.id === oops.id);
    moderate(cam, { action: 'delete', id: oops.id });
    await done(cam, 'delete');
    await ann.nextTextWhere('chat', (m) => m.kind === 'delete' && m.target === oops.id, 4000, 'the marker on node b');
    const late = await TestClient.connect(b.wsUrl('del', { since: oops.id - 1 }));
    open.push(late);
    assert.deepEqual((await late.nextText('history')).messages[0], { type: 'chat', id: oops.id, at: oops.at, from: oops.from, text: '', deleted: true });
    await waitFor(async () => ((await b.broker.history('del', oops.id - 1, 1)).messages[0]?.deleted ? true : undefined), 3000, 'redacted in Redis');

    moderate(cam, { action: 'slowmode', seconds: 20 });
    await done(cam, 'slowmode');
    await ann.nextTextWhere('slowmode', (m) => m.seconds === 20, 4000, 'slow mode on node b');
    ann.send({ type: 'chat', text: 'one' });
    await ann.nextTextWhere('chat', (m) => m.text === 'one');
    ann.send({ type: 'chat', text: 'two' });
    await ann.nextTextWhere('error', (e) => e.code === 'SLOW_MODE');

    moderate(cam, { action: 'clear' });
    await done(cam, 'clear');
    await ann.nextTextWhere('chat', (m) => m.kind === 'clear', 4000, 'the clear on node b');
    const fresh = await TestClient.connect(b.wsUrl('del'));
    open.push(fresh);
    assert.deepEqual((await fresh.nextText('history')).messages.map((m) => m.kind), ['clear']);
  });
});
