// Moderation, enforced by the server: delete, mute, unmute, kick, ban, slow mode and clear, by
// the broadcaster and by holders of a token that grants `moderate`, refused for everyone else.
import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import type { ModerateRequest } from '../../src/protocol/index.js';
import { waitFor } from '../helpers/free-port.js';
import { parseProm, valueOf } from '../helpers/prom-text.js';
import type { PusherJs } from '../helpers/pusher-js-client.js';
import { once, pusherClient, startPusherServer, testApp } from '../helpers/pusher-server.js';
import { mintOverHttp, refusedUpgrade } from '../helpers/room-admin.js';
import type { TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const FAST = { intervalMs: 50, graceMs: 200, noticeWindowMs: 100, noticesMaxViewers: 0 };
const identity = (n: number | string) => `moderation-test-${String(n).padStart(6, '0')}`;

let server: TestServer;
const open: TestClient[] = [];
const pushers: PusherJs[] = [];

const connect = async (room: string, query: Record<string, string | number> = {}) => {
  const c = await TestClient.connect(server.wsUrl(room, query));
  open.push(c);
  await c.nextText('welcome');
  await c.nextText('history');
  return c;
};
const idOf = (c: TestClient) => c.texts('welcome')[0]!.you.id;
const moderate = (c: TestClient, req: Omit<ModerateRequest, 'type'>) => c.send({ type: 'moderate', ...req });
const done = (c: TestClient, action: string) => c.nextTextWhere('moderated', (m) => m.action === action, 3000, `${action} done`);
const refusal = (c: TestClient, code: string) => c.nextTextWhere('error', (e) => e.code === code, 3000, `error ${code}`);
const say = async (c: TestClient, text: string) => {
  c.send({ type: 'chat', text });
  return c.nextTextWhere('chat', (m) => m.text === text, 3000, `"${text}"`);
};

/** The room's broadcaster, and a moderator who holds a token that grants moderate. */
const moderators = async (room: string): Promise<[string, TestClient][]> => {
  const cam = await server.broadcaster(room, { name: 'Host', identity: identity(`${room}-cam`) });
  open.push(cam);
  await cam.nextText('history');
  const token = await mintOverHttp(server.httpUrl(''), room, server.key(room), ['watch', 'chat', 'moderate']);
  const mod = await connect(room, { name: 'Mod', token, identity: identity(`${room}-mod`) });
  return [
    ['the broadcaster', cam],
    ['a moderate token holder', mod],
  ];
};

let metrics: ReturnType<typeof createMetrics>;
beforeAll(async () => {
  metrics = createMetrics();
  server = await startPusherServer([testApp()], { chatRate: '50', chatBurst: '50' }, { audience: FAST, telemetry: metrics.telemetry, http: metrics.http });
});
afterEach(async () => {
  for (const p of pushers.splice(0)) p.disconnect();
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server?.stop();
});

describe('moderation', () => {
  it('deletes a message for everyone: a marker in chat, a tombstone in history and the stored log, and Pusher followers see both', async () => {
    for (const [who, mod] of await moderators('del')) {
      const ann = await connect('del', { name: 'ann', identity: identity(1) });
      const follower = pusherClient(server);
      pushers.push(follower);
      const ch = follower.subscribe('room.del');
      await once((cb) => ch.bind('state', cb));
      const pusherChats: { kind?: string; target?: number }[] = [];
      ch.bind('chat', (m: { kind?: string; target?: number }) => pusherChats.push(m));
      const bad = await say(ann, `rude words (${who})`);
      moderate(mod, { action: 'delete', id: bad.id });
      assert.deepEqual(await done(mod, 'delete'), { type: 'moderated', action: 'delete', id: bad.id });
      const marker = await ann.nextTextWhere('chat', (m) => m.kind === 'delete');
      assert.deepEqual([marker.target, marker.text, marker.from.role], [bad.id, 'A message was removed by a moderator.', 'server']);
      const late = await TestClient.connect(server.wsUrl('del', { since: bad.id - 1 }));
      open.push(late);
      const h = await late.nextText('history');
      assert.deepEqual(h.messages[0], { type: 'chat', id: bad.id, at: bad.at, from: bad.from, text: '', deleted: true }, `${who}: a tombstone in history`);
      assert.equal(h.messages[1]!.id, marker.id);
      await waitFor(() => pusherChats.find((m) => m.kind === 'delete' && m.target === bad.id), 3000, 'the marker on room.del');
      const stored = await server.broker.history('del', bad.id - 1, 1);
      assert.deepEqual([stored.messages[0]!.text, stored.messages[0]!.deleted], ['', true], 'the text is gone from the log too');
      moderate(mod, { action: 'delete', id: marker.id });
      await refusal(mod, 'NO_SUCH_MESSAGE');
      moderate(mod, { action: 'delete', id: 99_999 });
      await refusal(mod, 'NO_SUCH_MESSAGE');
      follower.disconnect();
      await ann.close();
    }
  });

  it('clears the chat: what was said before is gone from history, and the clear is a message of its own', async () => {
    for (const [who, mod] of await moderators('clr')) {
      const ann = await connect('clr', { name: 'ann', identity: identity(2) });
      await say(ann, `one (${who})`);
      await say(ann, `two (${who})`);
      moderate(mod, { action: 'clear' });
      await done(mod, 'clear');
      const marker = await ann.nextTextWhere('chat', (m) => m.kind === 'clear');
      assert.equal(marker.text, 'The chat was cleared by a moderator.');
      const fresh = await TestClient.connect(server.wsUrl('clr'));
      open.push(fresh);
      const h = await fresh.nextText('history');
      assert.deepEqual(h.messages.map((m) => m.kind), ['clear'], `${who}: only the clear is left`);
      await ann.close();
    }
  });

  it('mutes a person for a time, on all their connections: told so, chat refused with MUTED until then, and unmuted on demand', async () => {
    for (const [who, mod] of await moderators('mute')) {
      const ann = await connect('mute', { name: 'ann', identity: identity(3) });
      const annToo = await connect('mute', { name: 'ann', identity: identity(3) });
      moderate(mod, { action: 'mute', target: idOf(ann), seconds: 60 });
      const ack = await done(mod, 'mute');
      assert.ok(ack.until! > Date.now() + 50_000, who);
      for (const c of [ann, annToo]) assert.equal((await c.nextText('muted')).until, ack.until);
      ann.send({ type: 'chat', text: 'let me speak' });
      const e = await refusal(ann, 'MUTED');
      assert.equal(e.until, ack.until);
      const again = await connect('mute', { name: 'ann', identity: identity(3) });
      assert.equal(again.texts('welcome')[0]!.mutedUntil, ack.until, 'a reconnect is still muted');
      moderate(mod, { action: 'unmute', target: idOf(ann) });
      await done(mod, 'unmute');
      assert.equal((await ann.nextTextWhere('muted', (m) => m.until === null)).until, null);
      await say(ann, `thanks (${who})`);
      for (const c of [ann, annToo, again]) await c.close();
    }
  });

  it('kicks a person: every connection of theirs is closed with 4503, and they may come back', async () => {
    for (const [who, mod] of await moderators('kick')) {
      const tom = await connect('kick', { name: 'tom', identity: identity(4) });
      const tomToo = await connect('kick', { name: 'tom', identity: identity(4) });
      const other = await connect('kick', { name: 'ann', identity: identity(5) });
      moderate(mod, { action: 'kick', target: idOf(tom) });
      await done(mod, 'kick');
      assert.deepEqual([await tom.waitClose(), await tomToo.waitClose()], [4503, 4503], who);
      assert.equal(other.closeCode, null, 'nobody else');
      await connect('kick', { name: 'tom', identity: identity(4) });
    }
  });

  it('bans a person for a time: closed with 4504, refused with 403 BANNED under their identity and from their address', async () => {
    for (const [who, mod] of await moderators('ban')) {
      const n = who.length; // another person per round
      const eve = await connect('ban', { name: 'eve', identity: identity(600 + n) });
      moderate(mod, { action: 'ban', target: idOf(eve), seconds: 30 });
      const ack = await done(mod, 'ban');
      assert.equal(await eve.waitClose(), 4504, who);
      assert.deepEqual(await refusedUpgrade(server.wsUrl('ban', { identity: identity(600 + n) })), { status: 403, code: 'BANNED' });
      // The address is banned too (every test client comes from 127.0.0.1): another identity, no entry.
      assert.deepEqual(await refusedUpgrade(server.wsUrl('ban', { identity: identity(700 + n) })), { status: 403, code: 'BANNED' });
      const access = await fetch(server.httpUrl('/api/rooms/ban/access'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: identity(600 + n) }) });
      assert.deepEqual([access.status, ((await access.json()) as { error: string; until: number }).until], [403, ack.until]);
      assert.equal((await fetch(server.httpUrl('/api/rooms/ban/snapshot.jpg'))).status, 403, 'no pictures for the address either');
      // The broadcaster's and moderators' connections are not the ban's business; lift it for the next round.
      await server.broker.roomState.forget('ban');
      for (const r of [server.rooms.get('ban')!]) await r.moderation.reload();
    }
  });

  it('sets slow mode: one message per N seconds per person, told to everyone, moderators exempt', async () => {
    let round = 0;
    for (const [who, mod] of await moderators('slow')) {
      const ann = await connect('slow', { name: 'ann', identity: identity(800 + ++round) });
      moderate(mod, { action: 'slowmode', seconds: 30 });
      await done(mod, 'slowmode');
      assert.equal((await ann.nextTextWhere('slowmode', (m) => m.seconds === 30)).seconds, 30, who);
      await say(ann, `first (${who})`);
      ann.send({ type: 'chat', text: 'second' });
      const e = await refusal(ann, 'SLOW_MODE');
      assert.ok(e.until! > Date.now() + 25_000 && e.until! <= Date.now() + 30_000);
      await say(mod, `moderators are not slowed (${who})`);
      await say(mod, `not at all (${who})`);
      const late = await connect('slow', { name: 'bob' });
      assert.equal(late.texts('welcome')[0]!.slowModeSeconds, 30);
      moderate(mod, { action: 'slowmode', seconds: 0 });
      await done(mod, 'slowmode');
      await ann.nextTextWhere('slowmode', (m) => m.seconds === 0);
      await say(ann, `free again (${who})`);
      await Promise.all([ann.close(), late.close()]);
    }
  });

  it('refuses every action with NOT_ALLOWED for viewers without the grant, and nobody may act on the broadcaster', async () => {
    const [[, cam], [, mod]] = (await moderators('deny')) as [[string, TestClient], [string, TestClient]];
    const ann = await connect('deny', { name: 'ann', identity: identity(9) });
    const msg = await say(cam, 'hello');
    const requests: Omit<ModerateRequest, 'type'>[] = [
      { action: 'delete', id: msg.id },
      { action: 'mute', target: idOf(mod) },
      { action: 'unmute', target: idOf(mod) },
      { action: 'kick', target: idOf(mod) },
      { action: 'ban', target: idOf(mod), seconds: 60 },
      { action: 'slowmode', seconds: 10 },
      { action: 'clear' },
    ];
    // Every refusal is accounted for: each `error` stands for itself and `dropped` held back.
    const refused = (c: TestClient) => c.texts('error').filter((e) => e.code === 'NOT_ALLOWED').reduce((n, e) => n + 1 + (e.dropped ?? 0), 0);
    for (const r of requests) moderate(ann, r);
    await waitFor(() => (refused(ann) === requests.length ? true : undefined), 4000, 'every request refused');
    await ann.sync();
    assert.equal(ann.texts('moderated').length, 0);
    assert.equal(mod.closeCode, null);
    for (const action of ['mute', 'kick', 'ban'] as const) moderate(mod, { action, target: idOf(cam) });
    await waitFor(() => (refused(mod) === 3 ? true : undefined), 4000, 'every action on the broadcaster refused');
    assert.equal(cam.closeCode, null);
    moderate(mod, { action: 'mute', target: 'Not An Id' } as never);
    await refusal(mod, 'BAD_MESSAGE');
    const prom = parseProm(await (await fetch(server.httpUrl('/metrics'))).text());
    assert.ok(valueOf(prom, 'beamcast_moderation_actions_total', { action: 'clear', outcome: 'refused' })! >= 1);
    assert.ok(valueOf(prom, 'beamcast_moderation_actions_total', { action: 'delete', outcome: 'done' })! >= 2, 'the deletes above');
    assert.ok(valueOf(prom, 'beamcast_moderation_actions_total', { action: 'kick', outcome: 'done' })! >= 2);
  });

  it('spends the request budget: a flood of actions is refused with REQUEST_RATE_LIMITED', async () => {
    const [[, cam]] = (await moderators('flood')) as [[string, TestClient]];
    for (let i = 0; i < 15; i++) cam.send({ type: 'moderate', action: 'slowmode', seconds: 0 });
    await refusal(cam, 'REQUEST_RATE_LIMITED');
    assert.ok(cam.texts('moderated').length <= 10, 'at most a burst of them done');
  });
});
