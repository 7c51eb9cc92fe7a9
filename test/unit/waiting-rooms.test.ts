import assert from 'node:assert/strict';
import { test } from 'vitest';
import { silentLog } from '../../src/core/log.js';
import type { Peer } from '../../src/core/peer.js';
import { WAITING_ROOM_CHAT, type Member } from '../../src/core/room.js';
import type { RoomOptions } from '../../src/core/room-options.js';
import { beamcastEncoder } from '../../src/transport/ws/beamcast-encoder.js';
import { localRooms } from '../helpers/local-rooms.js';
import { noopTelemetry } from '../../src/core/telemetry.js';

const opts: RoomOptions = {
  limits: { maxFrameBytes: 1 << 20, maxFps: 30, maxChatLength: 500, chatRatePerSec: 2, chatBurst: 5, maxNameLength: 32, maxTextBytes: 16384, maxMessageBytes: 8 << 20, requestRatePerSec: 4, requestBurst: 40, historyMaxBytes: 65536 },
  chatHistory: 500,
  chatOnJoin: 50,
  maxViewersPerRoom: 0,
  videoMaxBuffered: 0,
  presenceIntervalMs: 250,
  qualities: ['source', 'sd', 'thumb'],
  telemetry: noopTelemetry,
  log: silentLog,
};

let ids = 0;
function member(role: 'viewer' | 'broadcaster'): Member {
  const peer: Peer = { sendText: () => 'sent', close: () => {}, bufferedAmount: () => 0, sendFrame: () => {} };
  return { peer, sender: { id: `m${++ids}`, name: 'x', color: 'red', role }, encoder: beamcastEncoder, quality: 'source', onSendDropped: () => {}, onReplaced: () => {} };
}

test('a room nobody has been live in is not public, and is dropped the moment its last viewer leaves', () => {
  const rooms = localRooms(opts, 600_000, 10);
  const room = rooms.getOrCreate('made-up');
  const [a, b] = [member('viewer'), member('viewer')];
  room.join(a);
  room.join(b);
  assert.equal(room.public, false);
  assert.equal(rooms.getPublic('made-up'), undefined);
  assert.deepEqual(rooms.listPublic(), []);
  assert.equal(rooms.waitingCount, 1);
  room.leave(a);
  assert.equal(rooms.get('made-up'), room, 'still has a viewer');
  room.leave(b);
  assert.equal(rooms.get('made-up'), undefined, 'no ROOM_TTL for a room that never went live');
  assert.equal(rooms.waitingCount, 0);
  rooms.dispose();
});

test('waiting rooms are capped; rooms that exist and broadcasters are not', () => {
  const rooms = localRooms(opts, 600_000, 2);
  for (const name of ['w1', 'w2']) {
    assert.ok(rooms.canHost(name));
    rooms.getOrCreate(name).join(member('viewer'));
  }
  assert.equal(rooms.canHost('w3'), false, 'a third made-up room does not fit');
  assert.ok(rooms.canHost('w1'), 'an existing waiting room takes more viewers');
  // A broadcaster makes w1 public: it no longer counts against the cap.
  rooms.get('w1')!.join(member('broadcaster'));
  assert.equal(rooms.waitingCount, 1);
  assert.ok(rooms.canHost('w3'));
  assert.deepEqual(rooms.listPublic().map((r) => r.name), ['w1']);
  rooms.dispose();
});

test('a public room outlives its members by the TTL, a waiting one does not', () => {
  const rooms = localRooms(opts, 1000, 10);
  const live = rooms.getOrCreate('live');
  const cam = member('broadcaster');
  live.join(cam);
  live.leave(cam);
  assert.equal(rooms.get('live'), live, 'kept after it empties');
  rooms.getOrCreate('never'); // made but never joined: swept at once
  assert.equal(rooms.sweep(live.lastActivity + 10), 1);
  assert.equal(rooms.get('live'), live);
  assert.equal(rooms.sweep(live.lastActivity + 1001), 1);
  assert.deepEqual(rooms.list(), []);
  assert.equal(rooms.waitingCount, 0);
});

test('a waiting room keeps a short chat and no tiers until it goes live, then the full history', () => {
  const rooms = localRooms(opts, 600_000, 10);
  const room = rooms.getOrCreate('chatty');
  const viewer = member('viewer');
  room.join(viewer);
  assert.deepEqual([...room.frames.channels.keys()], ['source'], 'only the tier someone watches');
  for (let i = 0; i < 200; i++) room.postChat(viewer.sender, `m${i}`, undefined);
  assert.equal(room.chat.last(1000).length, WAITING_ROOM_CHAT);
  assert.equal(room.chat.latestId, 200);
  room.join(member('broadcaster'));
  for (let i = 0; i < 200; i++) room.postChat(viewer.sender, `n${i}`, undefined);
  assert.equal(room.chat.last(1000).length, WAITING_ROOM_CHAT + 200);
  assert.equal(room.chat.latestId, 400, 'ids go on across the change');
  rooms.dispose();
});
