import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { Broker, ChatDraft, ChatPage } from '../../src/core/broker/broker.js';
import { silentLog } from '../../src/core/log.js';
import { RoomChat } from '../../src/core/room-chat.js';
import type { ChatMessage } from '../../src/protocol/index.js';

const from = { id: 'a', name: 'A', color: 'x', role: 'viewer' as const };
const msg = (id: number): ChatMessage => ({ type: 'chat', id, at: id, from, text: `m${id}` });

/** A broker whose log is an array the test controls; history answers after `await gate`. */
class ScriptedLog {
  epoch = 'e1';
  log: ChatMessage[] = [];
  reads = 0;
  fail = false;
  asBroker(): Broker {
    return {
      history: async (_room: string, since: number | null, max: number): Promise<ChatPage> => {
        this.reads++;
        await Promise.resolve();
        if (this.fail) throw new Error('down');
        const latestId = this.log.at(-1)?.id ?? 0;
        const after = since === null ? this.log.slice(-max) : this.log.filter((m) => m.id > since).slice(0, max);
        return { epoch: this.epoch, latestId, messages: after, truncated: false };
      },
      postChat: async (_room: string, d: ChatDraft) => ({ ...d, id: 0 }) as ChatMessage,
    } as unknown as Broker;
  }
}

function chatOn(log: ScriptedLog, capacity = 100) {
  const delivered: number[] = [];
  const resets: string[] = [];
  const chat = new RoomChat('r', log.asBroker(), capacity, { deliver: (m) => delivered.push(m.id), reset: (p) => resets.push(p.epoch) }, silentLog);
  return { chat, delivered, resets };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('core/room-chat', () => {
  it('loads the newest messages first, and answers pages by id from memory', async () => {
    const log = new ScriptedLog();
    log.log = [1, 2, 3, 4, 5].map(msg);
    const { chat } = chatOn(log);
    assert.equal(chat.isReady, false);
    await chat.whenReady();
    assert.deepEqual([chat.epoch, chat.latestId], ['e1', 5]);
    assert.deepEqual(chat.page(2, 2).messages.map((m) => m.id), [3, 4]);
    assert.deepEqual(chat.page(null, 2).messages.map((m) => m.id), [4, 5]);
    assert.deepEqual(chat.page(5, 10).messages, []);
  });

  it('holds messages announced while loading and delivers each once, in order', async () => {
    const log = new ScriptedLog();
    log.log = [1, 2].map(msg);
    const { chat, delivered } = chatOn(log);
    chat.onAnnounced(msg(3), 'e1');
    chat.onAnnounced(msg(2), 'e1');
    await chat.whenReady();
    await settle();
    assert.deepEqual(delivered, [3]);
  });

  it('fills a gap from the log before delivering the message after it', async () => {
    const log = new ScriptedLog();
    const { chat, delivered } = chatOn(log);
    await chat.whenReady();
    chat.onAnnounced(msg(1), 'e1');
    log.log = [1, 2, 3, 4].map(msg);
    chat.onAnnounced(msg(4), 'e1');
    await settle();
    assert.deepEqual(delivered, [1, 2, 3, 4]);
    chat.onAnnounced(msg(4), 'e1');
    assert.deepEqual(delivered, [1, 2, 3, 4], 'a repeat is dropped');
  });

  it('starts afresh when the log comes back under another epoch, and says so once', async () => {
    const log = new ScriptedLog();
    log.log = [1, 2, 3].map(msg);
    const { chat, delivered, resets } = chatOn(log);
    await chat.whenReady();
    log.epoch = 'e2';
    log.log = [msg(1)];
    chat.onAnnounced(msg(1), 'e2');
    await settle();
    assert.deepEqual(resets, ['e2']);
    assert.deepEqual([chat.epoch, chat.latestId], ['e2', 1]);
    assert.deepEqual(delivered, [], 'the new log reaches members through the reset, not twice');
  });

  it('is ready with what it has when the bus is down, and catches up when it returns', async () => {
    const log = new ScriptedLog();
    log.fail = true;
    const { chat, delivered, resets } = chatOn(log);
    await chat.whenReady();
    assert.deepEqual([chat.epoch, chat.latestId], ['', 0]);
    log.fail = false;
    log.log = [1, 2].map(msg);
    chat.resync();
    await settle();
    assert.deepEqual(resets, ['e1']);
    assert.equal(chat.latestId, 2);
    chat.onAnnounced(msg(3), 'e1');
    assert.deepEqual(delivered, [3]);
  });
});
