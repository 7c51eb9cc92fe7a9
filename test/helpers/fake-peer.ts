import { readFileSync } from 'node:fs';
import { beamcastEncoder } from '../../src/transport/ws/beamcast-encoder.js';
import { localRooms } from './local-rooms.js';
import type { Peer, SendResult } from '../../src/core/peer.js';
import { Room } from '../../src/core/room.js';
import type { RoomOptions } from '../../src/core/room-options.js';
import { Session } from '../../src/core/session.js';
import { silentLog } from '../../src/core/log.js';
import { noopTelemetry } from '../../src/core/telemetry.js';
import type { Limits, Role } from '../../src/protocol/index.js';

/** A connection as the core sees it, recording everything the core does to it. */
export class FakePeer implements Peer {
  texts: string[] = [];
  frames: Uint8Array[] = [];
  closes: { code: number; reason: string }[] = [];
  /** What bufferedAmount() answers: set it to play a slow reader. */
  buffered = 0;

  sendText(json: string): SendResult {
    this.texts.push(json);
    return 'sent';
  }

  sendFrame(frame: Uint8Array): void {
    this.frames.push(frame);
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
  }

  /** Texts and frames received since the last call. */
  take(): { texts: string[]; frames: Uint8Array[] } {
    const got = { texts: this.texts, frames: this.frames };
    this.texts = [];
    this.frames = [];
    return got;
  }
}

export const TEST_LIMITS: Limits = {
  maxFrameBytes: 64 * 1024,
  maxFps: 30,
  maxChatLength: 200,
  chatRatePerSec: 2,
  chatBurst: 5,
  maxNameLength: 32,
  maxTextBytes: 1024,
  maxMessageBytes: 8 * 1024 * 1024,
  requestRatePerSec: 4,
  requestBurst: 40,
  historyMaxBytes: 64 * 1024,
};

export function testRoomOptions(overrides: Partial<RoomOptions> = {}): RoomOptions {
  return {
    limits: TEST_LIMITS,
    chatHistory: 100,
    chatOnJoin: 50,
    maxViewersPerRoom: 0,
    videoMaxBuffered: 0,
    presenceIntervalMs: 250,
    qualities: ['source', 'sd'],
    telemetry: noopTelemetry,
    log: silentLog,
    // No join and leave notices among the chat these tests count.
    audience: { noticesMaxViewers: 0 },
    ...overrides,
  };
}

/** A started session in `room`, on a fake peer; a close by the server ends it, as the transport does. */
export function openSession(room: Room, opts: RoomOptions, role: Role, name = ''): { session: Session; peer: FakePeer } {
  const peer = new FakePeer();
  const session = new Session(peer, { room, peer, role, name, quality: opts.qualities[0]!, since: null, log: opts.log, encoder: beamcastEncoder }, opts);
  const close = peer.close.bind(peer);
  peer.close = (code, reason) => {
    close(code, reason);
    session.end(code);
  };
  session.start();
  return { session, peer };
}

export function newRoom(opts: RoomOptions, name = 'fuzz'): Room {
  return localRooms(opts).getOrCreate(name);
}

/** The server → client message types docs/protocol.md lists: a client may get these and no others. */
export function documentedServerTypes(): Set<string> {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const start = doc.indexOf('### Server → client');
  const end = doc.indexOf('### Client → server', start);
  const types = [...doc.slice(start, end).matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);
  if (types.length < 5) throw new Error('docs/protocol.md: server message table not found');
  return new Set(types);
}
