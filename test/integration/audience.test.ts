// Who is watching: stable identities, the viewer list (`audience`), join and leave notices, and
// the same members on the room's Pusher presence channel.
import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import type { AudienceMessage, ChatMessage } from '../../src/protocol/index.js';
import { waitFor } from '../helpers/free-port.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { APP, connected, once, pusherClient, sdkFor, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { mintOverHttp, putSettings, refusedUpgrade } from '../helpers/room-admin.js';
import type { TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

// Short enough for tests, in the same proportions as the defaults.
const FAST = { intervalMs: 50, graceMs: 400, noticeWindowMs: 250, listMax: 5 };
const identity = (n: number | string) => `test-identity-${String(n).padStart(6, '0')}`;

let server: TestServer;
const open: TestClient[] = [];
const pushers: PusherJs[] = [];

const connect = async (room: string, query: Record<string, string | number> = {}, s = server) => {
  const c = await TestClient.connect(s.wsUrl(room, query));
  open.push(c);
  await c.nextText('welcome');
  return c;
};
const listed = (c: TestClient, pred: (a: AudienceMessage) => boolean, what = 'the list to fit', timeoutMs = 4000) => c.nextTextWhere('audience', pred, timeoutMs, what);
const names = (a: AudienceMessage) => a.members.map((m) => m.name);
const notice = (c: TestClient, kind: 'join' | 'leave', timeoutMs = 4000) => c.nextTextWhere('chat', (m) => m.kind === kind, timeoutMs, `a ${kind} notice`);

beforeAll(async () => {
  server = await startPusherServer([testApp()], {}, { audience: FAST });
});
afterEach(async () => {
  for (const p of pushers.splice(0)) p.disconnect();
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.stop();
});

describe('identity', () => {
  it('keeps a person’s id and colour across reconnects with the same identity, per room, and gives others their own', async () => {
    const first = await TestClient.connect(server.wsUrl('ids', { identity: identity(1), name: 'ann' }));
    const you = (await first.nextText('welcome')).you;
    await first.close();
    assert.match(you.id, /^[0-9a-f]{16}$/);
    const again = await connect('ids', { identity: identity(1), name: 'ann' });
    assert.deepEqual(again.texts('welcome')[0]!.you, you, 'the same id, name and colour');
    again.send({ type: 'chat', text: 'it is me' });
    assert.equal((await again.nextText('chat')).from.id, you.id, 'chat carries the same id');
    const other = await connect('ids', { identity: identity(2), name: 'ann' });
    assert.notEqual(other.texts('welcome')[0]!.you.id, you.id, 'the same name, another person');
    const elsewhere = await connect('ids-2', { identity: identity(1) });
    assert.notEqual(elsewhere.texts('welcome')[0]!.you.id, you.id, 'another room, another id');
    const [x, y] = [await connect('ids'), await connect('ids')];
    const [ix, iy] = [x.texts('welcome')[0]!.you.id, y.texts('welcome')[0]!.you.id];
    assert.notEqual(ix, iy, 'without an identity every connection is someone new');
    assert.match(ix, /^[0-9a-f]{10}$/);
  });

  it('refuses an identity that is too short or has other characters with 400 BAD_IDENTITY', async () => {
    for (const bad of ['short', 'has spaces in it, sixteen+', 'ü'.repeat(20), 'x'.repeat(129)]) {
      assert.deepEqual(await refusedUpgrade(server.wsUrl('ids', { identity: bad })), { status: 400, code: 'BAD_IDENTITY' }, bad);
    }
  });
});

describe('the viewer list', () => {
  it('lists the broadcaster first, then people by name with colours and roles, and follows them as they come and go', async () => {
    const cam = await server.broadcaster('list', { name: 'Host', identity: identity('cam') });
    open.push(cam);
    const mod = await mintOverHttp(server.httpUrl(''), 'list', server.key('list'), ['watch', 'chat', 'moderate']);
    await connect('list', { name: 'zoe', identity: identity(10) });
    const bob = await connect('list', { name: 'bob', identity: identity(11) });
    await connect('list', { name: 'Mia', identity: identity(12), token: mod });
    const all = await listed(cam, (a) => a.members.length === 4);
    assert.deepEqual(names(all), ['Host', 'bob', 'Mia', 'zoe'], 'broadcaster first, then by name');
    assert.deepEqual(all.members.map((m) => m.role), ['broadcaster', 'viewer', 'moderator', 'viewer']);
    assert.deepEqual([all.total, all.truncated], [4, false]);
    assert.equal(all.members[1]!.id, bob.texts('welcome')[0]!.you.id);
    assert.equal(all.members[1]!.color, bob.texts('welcome')[0]!.you.color);
    await bob.close();
    const after = await listed(cam, (a) => !names(a).includes('bob'), 'bob gone from the list');
    assert.deepEqual([names(after), after.total], [['Host', 'Mia', 'zoe'], 3]);
  });

  it('shows its first names only, with the total of everyone in the room', async () => {
    const cam = await server.broadcaster('crowd', { name: 'Host' });
    open.push(cam);
    for (let i = 0; i < 7; i++) await connect('crowd', { name: `v${i}`, identity: identity(100 + i) });
    const a = await listed(cam, (x) => x.total === 8);
    assert.equal(a.members.length, FAST.listMax);
    assert.equal(a.members[0]!.name, 'Host');
    assert.equal(a.truncated, true);
    // A newcomer gets the list as it stands at once, then the one that includes it.
    const late = await TestClient.connect(server.wsUrl('crowd', { name: 'late' }));
    open.push(late);
    await late.nextText('welcome');
    assert.equal((await late.nextText('audience')).total >= 8, true);
  });
});

describe('the viewer list and the presence member limit', () => {
  it('counts people past the limit in the total, and lists them once someone leaves', async () => {
    const small = await startPusherServer([testApp({ max_presence_members_per_channel: 2 })], {}, { audience: FAST });
    try {
      const cam = await small.broadcaster('small', { name: 'Host' });
      open.push(cam);
      const ann = await connect('small', { name: 'ann', identity: identity(900) }, small);
      await listed(cam, (a) => names(a).includes('ann'));
      await connect('small', { name: 'bob', identity: identity(901) }, small);
      const full = await listed(cam, (a) => a.total === 3, 'bob counted');
      assert.deepEqual([names(full), full.truncated], [['Host', 'ann'], true], 'bob is past the limit: counted, not listed');
      await ann.close();
      const after = await listed(cam, (a) => names(a).includes('bob'), 'bob listed once ann left');
      assert.deepEqual([names(after), after.total, after.truncated], [['Host', 'bob'], 2, false]);
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await small.stop();
    }
  });
});

describe('join and leave notices', () => {
  it('are one coalesced notice for people who come together, in order with chat and kept in history', async () => {
    const cam = await server.broadcaster('hello', { name: 'Host' });
    open.push(cam);
    await Promise.all(['ann', 'bob', 'cy', 'dee'].map((name, i) => connect('hello', { name, identity: identity(200 + i) })));
    const many = await notice(cam, 'join');
    assert.equal(many.text, '4 people joined');
    assert.deepEqual([many.count, many.people?.length, many.from.role, many.from.id], [4, 3, 'server', 'server']);
    const eve = await connect('hello', { name: 'eve', identity: identity(210) });
    const one = await notice(cam, 'join');
    assert.deepEqual([one.text, one.count, one.people?.map((p) => p.name)], ['eve joined', 1, ['eve']]);
    assert.equal(one.people![0]!.id, eve.texts('welcome')[0]!.you.id);
    eve.send({ type: 'chat', text: 'hi all' });
    const said = await cam.nextText('chat');
    assert.ok(said.id > one.id, 'in id order with chat');
    const newcomer = await TestClient.connect(server.wsUrl('hello'));
    open.push(newcomer);
    const h = await newcomer.nextText('history');
    assert.deepEqual(
      h.messages.slice(-3).map((m) => [m.kind ?? 'said', m.text]),
      [['join', '4 people joined'], ['join', 'eve joined'], ['said', 'hi all']],
    );
  });

  it('tell of a newcomer before their first words, even when they speak at once', async () => {
    const cam = await server.broadcaster('quick', { name: 'Host' });
    open.push(cam);
    const kim = await connect('quick', { name: 'kim', identity: identity(250) });
    // On the list: the join was counted, and its notice waits for the end of its window.
    await listed(cam, (a) => names(a).includes('kim'));
    kim.send({ type: 'chat', text: 'hi, I am new' });
    const said = await cam.nextTextWhere('chat', (m) => m.text === 'hi, I am new');
    const told = cam.texts('chat').find((m) => m.kind === 'join');
    assert.ok(told && told.id < said.id, 'the notice came first');
    assert.equal(told.text, 'kim joined');
  });

  it('say who left once the grace period is over, and nothing for a reconnect within it', async () => {
    const cam = await server.broadcaster('bye', { name: 'Host' });
    open.push(cam);
    const tom = await connect('bye', { name: 'tom', identity: identity(300) });
    await notice(cam, 'join');
    // Back before the grace period ends: neither a leave nor a join.
    await tom.close();
    const back = await connect('bye', { name: 'tom', identity: identity(300) });
    back.send({ type: 'chat', text: 'still here' });
    await waitFor(() => cam.texts('chat').find((m) => m.text === 'still here'), 3000, 'the chat');
    await new Promise((r) => setTimeout(r, FAST.graceMs + FAST.noticeWindowMs * 2));
    assert.deepEqual(cam.texts('chat').filter((m) => m.kind).map((m) => m.text), ['tom joined'], 'no leave and join for the reconnect');
    await back.close();
    const left = await notice(cam, 'leave');
    assert.deepEqual([left.text, left.count], ['tom left', 1]);
  });

  it('are off in a room that switched them off, and in rooms with more viewers than JOIN_NOTICES_MAX_VIEWERS', async () => {
    const put = await putSettings(server.httpUrl(''), 'quiet', server.key('quiet'), { joinNotices: false });
    assert.equal(put.body.joinNotices, false);
    const cam = await server.broadcaster('quiet');
    open.push(cam);
    await connect('quiet', { name: 'ann', identity: identity(400) });
    await listed(cam, (a) => names(a).includes('ann'));
    await new Promise((r) => setTimeout(r, FAST.noticeWindowMs * 3));
    assert.deepEqual(cam.texts('chat'), [], 'no notice');

    const busy = await startPusherServer([testApp()], { joinNoticesMaxViewers: '1' }, { audience: FAST });
    try {
      const host = await busy.broadcaster('busy');
      open.push(host);
      await connect('busy', { name: 'a', identity: identity(401) }, busy);
      assert.equal((await notice(host, 'join')).text, 'a joined', 'one viewer: at the limit, told');
      await connect('busy', { name: 'b', identity: identity(402) }, busy);
      await listed(host, (a) => names(a).includes('b'));
      await new Promise((r) => setTimeout(r, FAST.noticeWindowMs * 3));
      assert.deepEqual(host.texts('chat').map((m) => m.text), ['a joined'], 'two viewers: past the limit, not told');
    } finally {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await busy.stop();
    }
  });
});

describe('the room presence channel', () => {
  const follower = (params: Record<string, string> = {}) => {
    const c = pusherClient(server, { authEndpoint: server.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, ...params } });
    pushers.push(c);
    return c;
  };
  type Members = { count: number; each(cb: (m: { id: string; info: { name: string; role?: string } }) => void): void };
  const membersOf = (ch: unknown) => {
    const out: { id: string; name: string; role: string | undefined }[] = [];
    (ch as { members: Members }).members.each((m) => out.push({ id: m.id, name: m.info.name, role: m.info.role }));
    return out.sort((a, b) => a.name.localeCompare(b.name));
  };

  it('has the native viewers as members, and the native list shows the Pusher members as followers', async () => {
    const cam = await server.broadcaster('both', { name: 'Host', identity: identity(500) });
    open.push(cam);
    const ann = await connect('both', { name: 'ann', identity: identity(501) });
    await listed(cam, (a) => a.members.length === 2);
    const zed = follower({ name: 'Zed' });
    const ch = zed.subscribe('presence-room.both');
    await once((cb) => ch.bind('pusher:subscription_succeeded', cb), 5000, 'subscribed');
    const pusherSide = membersOf(ch);
    const ids = { host: cam.texts('welcome')[0]!.you.id, ann: ann.texts('welcome')[0]!.you.id };
    assert.deepEqual(
      pusherSide.filter((m) => m.name !== 'Zed'),
      [
        { id: ids.ann, name: 'ann', role: 'viewer' },
        { id: ids.host, name: 'Host', role: 'broadcaster' },
      ],
    );
    const both = await listed(ann, (a) => names(a).includes('Zed'), 'the Pusher member on the native list');
    assert.deepEqual(
      both.members.map((m) => [m.name, m.role]),
      [
        ['Host', 'broadcaster'],
        ['ann', 'viewer'],
        ['Zed', 'follower'],
      ],
    );
    assert.deepEqual(both.members.map((m) => m.id).sort(), pusherSide.map((m) => m.id).sort(), 'the same members on both sides');

    // A native viewer coming and going is a member added and removed for Pusher clients.
    const added = once<{ id: string; info: { name: string } }>((cb) => ch.bind('pusher:member_added', cb), 5000, 'member_added');
    const bob = await connect('both', { name: 'bob', identity: identity(502) });
    const m = await added;
    assert.deepEqual([m.id, m.info.name], [bob.texts('welcome')[0]!.you.id, 'bob']);
    const removed = once<{ id: string }>((cb) => ch.bind('pusher:member_removed', cb), 5000, 'member_removed');
    await bob.close();
    assert.equal((await removed).id, m.id);
    const users = await sdkFor(server).get({ path: '/channels/presence-room.both/users' });
    assert.deepEqual(((await users.json()) as { users: { id: string }[] }).users.map((u) => u.id).sort(), pusherSide.map((x) => x.id).sort());
  });

  it('signs the member of an identity as the native id, and no client-chosen id that looks like one', async () => {
    const c = follower();
    const socketId = await connected(c);
    const post = async (fields: Record<string, string>) => {
      const res = await fetch(server.httpUrl('/pusher/auth'), { method: 'POST', body: new URLSearchParams({ socket_id: socketId, app_key: APP.key, ...fields }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      return { status: res.status, body: (await res.json()) as { channel_data?: string; error?: string } };
    };
    const native = await connect('same', { identity: identity(600), name: 'ann' });
    const signed = await post({ channel_name: 'presence-room.same', identity: identity(600), name: 'ann' });
    assert.equal(signed.status, 200);
    assert.equal((JSON.parse(signed.body.channel_data!) as { user_id: string }).user_id, native.texts('welcome')[0]!.you.id);
    assert.deepEqual((await post({ channel_name: 'presence-room.same', user_id: native.texts('welcome')[0]!.you.id })).body.error, 'BAD_USER');
    assert.deepEqual((await post({ channel_name: 'presence-room.same', identity: 'short' })).body.error, 'BAD_USER');
  });
});

describe('private Pusher channels of a room', () => {
  it('private-room.{room} is signed for a token that grants watch and carries the room’s chat; room.{room} and tokenless requests are refused', async () => {
    await putSettings(server.httpUrl(''), 'secret', server.key('secret'), { private: true });
    const watch = await mintOverHttp(server.httpUrl(''), 'secret', server.key('secret'), ['watch', 'chat']);
    const chatOnly = await mintOverHttp(server.httpUrl(''), 'secret', server.key('secret'), ['chat']);
    const cam = await server.broadcaster('secret');
    open.push(cam);
    const withToken = pusherClient(server, { authEndpoint: server.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, token: watch } });
    pushers.push(withToken);
    const ch = withToken.subscribe('private-room.secret');
    const state = (await once((cb) => ch.bind('state', cb), 5000, 'state')) as { live: boolean };
    assert.equal(state.live, true);
    const chats: ChatMessage[] = [];
    ch.bind('chat', (m: ChatMessage) => chats.push(m));
    const viewer = await connect('secret', { token: watch, name: 'ann' });
    viewer.send({ type: 'chat', text: 'only for us' });
    await waitFor(() => chats.find((m) => m.text === 'only for us'), 3000, 'the chat on private-room');

    for (const [label, params] of [
      ['no token', {}],
      ['a token without watch', { token: chatOnly }],
    ] as const) {
      const c = pusherClient(server, { authEndpoint: server.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, ...params } });
      pushers.push(c);
      for (const channel of ['private-room.secret', 'presence-room.secret', 'room.secret']) {
        const sub = c.subscribe(channel);
        const err = (await once((cb) => sub.bind('pusher:subscription_error', cb), 5000, `${label}: ${channel} refused`)) as { status: number };
        assert.equal(err.status, 403, `${label}: ${channel}`);
      }
    }
  });

  it('room.{room} followers are told when the room turns private, and hear nothing of it afterwards', async () => {
    const cam = await server.broadcaster('closing');
    open.push(cam);
    const c = pusherClient(server);
    pushers.push(c);
    const ch = c.subscribe('room.closing');
    await once((cb) => ch.bind('state', cb), 5000, 'state');
    const chats: unknown[] = [];
    ch.bind('chat', (m: unknown) => chats.push(m));
    const told = once((cb) => ch.bind('private', cb), 5000, 'the private event');
    await putSettings(server.httpUrl(''), 'closing', server.key('closing'), { private: true });
    await told;
    cam.send({ type: 'chat', text: 'now private' });
    await cam.nextTextWhere('chat', (m) => m.text === 'now private');
    const probe = await mintOverHttp(server.httpUrl(''), 'closing', server.key('closing'), ['watch']);
    const p = pusherClient(server, { authEndpoint: server.httpUrl('/pusher/auth'), authParams: { app_key: APP.key, token: probe } });
    pushers.push(p);
    const pch = p.subscribe('private-room.closing');
    await once((cb) => pch.bind('state', cb), 5000, 'state');
    cam.send({ type: 'chat', text: 'second' });
    await once((cb) => pch.bind('chat', cb), 5000, 'a chat on the private channel');
    assert.deepEqual(chats, [], 'the public channel carried nothing after the switch');
  });
});
