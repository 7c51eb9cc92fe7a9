import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { JoinNotices, noticeDraft, noticeText } from '../../src/core/audience/join-notices.js';
import { applyMarkers, chatRecord } from '../../src/core/chat-record.js';
import { addressTag, deriveIdentityKey, isIdentity, publicIdOf } from '../../src/core/identity.js';
import { parseModerate } from '../../src/core/moderation/moderate-request.js';
import { deriveTokenKey } from '../../src/core/viewer-token.js';
import type { ChatMessage, NoticePerson } from '../../src/protocol/index.js';
import { memoryChat } from '../helpers/local-rooms.js';

const key = deriveIdentityKey('secret');
const ID = 'a-long-enough-identity-1';

describe('identities', () => {
  it('give one public id per identity and room, that nobody can make without the identity', () => {
    const id = publicIdOf(key, 'lab', ID);
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(publicIdOf(key, 'lab', ID), id, 'the same after a reconnect');
    assert.notEqual(publicIdOf(key, 'kitchen', ID), id, 'another room');
    assert.notEqual(publicIdOf(key, 'lab', `${ID}x`), id, 'another identity');
    assert.notEqual(publicIdOf(deriveIdentityKey('other secret'), 'lab', ID), id, 'another server');
    assert.notDeepEqual(key, deriveTokenKey('secret'), 'a key of its own, not the token key');
  });

  it('take 16 to 128 characters of A-Z a-z 0-9 _ and -', () => {
    for (const ok of ['a'.repeat(16), 'Ab0_-'.repeat(25), 'x'.repeat(128)]) assert.ok(isIdentity(ok), ok);
    for (const bad of ['a'.repeat(15), 'x'.repeat(129), 'has space in it here', 'ümlaut-ümlaut-ümlaut', '']) assert.ok(!isIdentity(bad), bad);
  });

  it('hash addresses for bans per room, an IPv6 /64 as one', () => {
    assert.equal(addressTag(key, 'lab', '2001:db8:1:2::1'), addressTag(key, 'lab', '2001:db8:1:2:ffff::9'));
    assert.notEqual(addressTag(key, 'lab', '10.0.0.1'), addressTag(key, 'lab', '10.0.0.2'));
    assert.notEqual(addressTag(key, 'lab', '10.0.0.1'), addressTag(key, 'kitchen', '10.0.0.1'));
    assert.doesNotMatch(addressTag(key, 'lab', '10.0.0.1'), /10\.0/);
  });
});

describe('join and leave notices', () => {
  const p = (name: string): NoticePerson => ({ id: `id-${name}`, name, color: 'red' });

  it('name up to three people and count more', () => {
    assert.equal(noticeText('join', [p('maria')], 1), 'maria joined');
    assert.equal(noticeText('leave', [p('maria'), p('tom')], 2), 'maria and tom left');
    assert.equal(noticeText('join', [p('a'), p('b'), p('c')], 3), 'a, b and c joined');
    assert.equal(noticeText('join', [p('a'), p('b'), p('c')], 12), '12 people joined');
    const d = noticeDraft('leave', ['a', 'b', 'c', 'd', 'e'].map(p), 5);
    assert.deepEqual([d.kind, d.count, d.people?.length, d.text, d.from.role], ['leave', 5, 3, '5 people left', 'server']);
  });

  it('coalesce a window of joins and leaves, and drop someone who came and went within it', async () => {
    const flushed = new Promise<[NoticePerson[], NoticePerson[]]>((resolve) => {
      const n = new JoinNotices(20, (joined, left) => resolve([joined, left]));
      n.add('join', p('ann'));
      n.add('join', p('bob'));
      n.add('join', p('ann'));
      n.add('leave', p('cy'));
      n.add('leave', p('bob'));
    });
    const [joined, left] = await flushed;
    assert.deepEqual([joined.map((x) => x.name), left.map((x) => x.name)], [['ann'], ['cy']]);
  });
});

describe('moderators’ markers in the chat log', () => {
  const said = (id: number, text: string): ChatMessage => chatRecord({ type: 'chat', at: id, from: { id: 'u', name: 'U', color: 'red', role: 'viewer' }, text, ref: `r${id}` }, id);
  const marker = (id: number, kind: 'delete' | 'clear', target?: number): ChatMessage =>
    chatRecord({ type: 'chat', at: id, from: { id: 'server', name: 'beamcast', color: 'grey', role: 'server' }, text: kind, kind, ...(target ? { target } : {}) }, id);

  it('leave a tombstone for a delete and drop what came before a clear', () => {
    const out = applyMarkers([said(1, 'a'), said(2, 'b'), marker(3, 'delete', 1), said(4, 'c'), marker(5, 'clear'), said(6, 'd'), marker(7, 'delete', 3)]);
    assert.deepEqual(out.map((m) => [m.id, m.text, m.deleted ?? false]), [
      [5, 'clear', false],
      [6, 'd', false],
      [7, 'delete', false],
    ]);
    const one = applyMarkers([said(1, 'a'), marker(2, 'delete', 1)]);
    assert.deepEqual(one[0], { type: 'chat', id: 1, at: 1, from: said(1, 'a').from, text: '', deleted: true });
  });

  it('are applied by a room’s chat as they arrive, keeping ids consecutive for history', () => {
    const { chat, post } = memoryChat(50);
    post('one');
    post('two');
    const first = chat.last(2)[0]!;
    post('x');
    void chat.post({ type: 'chat', at: 0, from: first.from, text: 'removed', kind: 'delete', target: first.id });
    assert.deepEqual(chat.find(first.id), { type: 'chat', id: first.id, at: first.at, from: first.from, text: '', deleted: true });
    void chat.post({ type: 'chat', at: 0, from: first.from, text: 'cleared', kind: 'clear' });
    const page = chat.page(0, 10);
    assert.deepEqual([page.messages.map((m) => m.kind), page.truncated], [['clear'], true]);
  });
});

describe('moderation requests', () => {
  const T = '0123456789abcdef';
  it('take the fields each action needs, with defaults for mute and ban', () => {
    assert.deepEqual(parseModerate({ action: 'delete', id: 4 }), { action: 'delete', id: 4 });
    assert.deepEqual(parseModerate({ action: 'mute', target: T }), { action: 'mute', target: T, seconds: 600 });
    assert.deepEqual(parseModerate({ action: 'ban', target: '0123456789', seconds: 60 }), { action: 'ban', target: '0123456789', seconds: 60 });
    assert.deepEqual(parseModerate({ action: 'kick', target: T, seconds: 5 }), { action: 'kick', target: T });
    assert.deepEqual(parseModerate({ action: 'slowmode', seconds: 0 }), { action: 'slowmode', seconds: 0 });
    assert.deepEqual(parseModerate({ action: 'clear' }), { action: 'clear' });
  });

  it('refuse anything else', () => {
    for (const bad of [
      {},
      { action: 'nuke' },
      { action: 'delete' },
      { action: 'delete', id: 0 },
      { action: 'delete', id: '4' },
      { action: 'mute', target: 'ABCDEF0123456789' },
      { action: 'mute', target: T, seconds: 0 },
      { action: 'ban', target: T, seconds: 7 * 86400 + 1 },
      { action: 'unmute' },
      { action: 'slowmode' },
      { action: 'slowmode', seconds: 3601 },
    ]) {
      assert.equal(parseModerate(bad), null, JSON.stringify(bad));
    }
  });
});
