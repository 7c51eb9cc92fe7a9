import assert from 'node:assert/strict';
import { test } from 'vitest';
import { LocalBroker } from '../../src/adapters/local/local-broker.js';
import type { Broker } from '../../src/core/broker/broker.js';
import type { Peer } from '../../src/core/peer.js';
import { RoomRegistry } from '../../src/core/room-registry.js';
import type { Member } from '../../src/core/room.js';
import { beamcastEncoder } from '../../src/transport/ws/beamcast-encoder.js';
import { testRoomOptions } from '../helpers/fake-peer.js';
import { encodeFrame, encodeTierFrame, type TierInfo } from '../../src/protocol/index.js';
import { fakeFrame, fakeJpeg } from '../helpers/jpeg.js';

/** The single-node broker, recording when a frame is handed to the other nodes. */
function recordingBroker(log: string[]): Broker {
  const broker: Broker = new LocalBroker({ dataDir: null, chatHistory: 10, roomTtlMs: 60_000 });
  broker.publishFrame = (_room, tier) => void log.push(`bus ${tier}`);
  return broker;
}

let ids = 0;
function member(role: 'viewer' | 'broadcaster', quality: string, log: string[]): Member {
  const peer: Peer = { sendText: () => 'sent', close: () => {}, bufferedAmount: () => 0, sendFrame: () => void log.push(`viewer ${quality}`) };
  return { peer, sender: { id: `m${++ids}`, name: 'x', color: 'red', role }, encoder: beamcastEncoder, quality, onSendDropped: () => {}, onReplaced: () => {} };
}

// A viewer on another node waits for the frame to cross the bus and then for its own node's
// fan-out; handing the frame to the bus after this node's fan-out would add all of it too.
test('a room hands each frame to the other nodes before it sends it to its own viewers', () => {
  const log: string[] = [];
  const opts = testRoomOptions({ qualities: ['source', 'sd'] });
  const broker = recordingBroker(log);
  const rooms = new RoomRegistry(opts, broker, 60_000);
  void broker.start(rooms);
  const room = rooms.getOrCreate('order');
  room.join(member('broadcaster', 'source', log));
  for (let i = 0; i < 3; i++) room.join(member('viewer', 'source', log));
  room.join(member('viewer', 'sd', log));
  log.length = 0;

  assert.equal(room.frames.acceptFrame(fakeFrame(1), 24, Date.now()), true);
  assert.deepEqual(log, ['bus source', 'viewer source', 'viewer source', 'viewer source']);

  log.length = 0;
  room.frames.publishTier('sd', fakeFrame(1), Date.now());
  assert.deepEqual(log, ['bus sd', 'viewer sd']);
  rooms.dispose();
});

test('a tier frame the broadcaster encoded goes to the other nodes before this node\'s viewers', () => {
  const log: string[] = [];
  const sd: TierInfo = { name: 'sd', maxWidth: 640, quality: 60 };
  const opts = testRoomOptions({ qualities: ['source', 'sd'], tiers: [sd] });
  const broker = recordingBroker(log);
  const rooms = new RoomRegistry(opts, broker, 60_000);
  void broker.start(rooms);
  const room = rooms.getOrCreate('edge-order');
  room.join(member('broadcaster', 'source', log));
  room.join(member('viewer', 'sd', log));
  room.join(member('viewer', 'sd', log));
  assert.equal(room.frames.acceptFrame(encodeFrame(fakeJpeg(1000, 1280, 720), 1, Date.now()), 24, Date.now()), true);
  room.frames.announceEdgeTiers(['sd'], Date.now());
  log.length = 0;

  const tierFrame = encodeTierFrame(fakeJpeg(1000, 640, 360), 'sd', 1, Date.now());
  assert.equal(room.frames.acceptTierFrame('sd', tierFrame, tierFrame[2]!, Date.now()), 'ok');
  assert.deepEqual(log, ['bus sd', 'viewer sd', 'viewer sd']);
  rooms.dispose();
});
