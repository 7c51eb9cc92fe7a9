import assert from 'node:assert/strict';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import { CloseCodes, ErrorCodes, checkFrame, type ErrorCode } from '../../src/protocol/index.js';
import { fuzz } from '../helpers/fuzz.js';
import { CLIENT_TYPES, binaryMessage, json, textMessage, utf8, validMessage } from '../helpers/fuzz-messages.js';
import { FakePeer, TEST_LIMITS, documentedServerTypes, newRoom, openSession, testRoomOptions } from '../helpers/fake-peer.js';
import { realJpeg } from '../helpers/media.js';

// Every JSON client message, driven through a Session as a transport would: whatever a client
// sends, the session never throws, answers only with documented messages and codes, relays only
// clean frames, and closes only with documented codes.

const SERVER_TYPES = documentedServerTypes();
const CLOSE_CODES = new Set<number>(Object.values(CloseCodes).map((c) => c.code));
type Msg = { type: string; [k: string]: unknown };

function parseAll(texts: string[]): Msg[] {
  return texts.map((t) => {
    const m = JSON.parse(t) as Msg;
    assert.ok(m !== null && typeof m === 'object' && !Array.isArray(m), 'an object');
    assert.ok(SERVER_TYPES.has(m.type), `a documented type: ${m.type}`);
    if (m.type === 'error') {
      assert.ok(Object.hasOwn(ErrorCodes, m.code as string), `a catalog code: ${String(m.code)}`);
      assert.equal(m.message, ErrorCodes[m.code as ErrorCode].message);
      if (m.dropped !== undefined) assert.ok(Number.isSafeInteger(m.dropped) && (m.dropped as number) > 0);
    }
    return m;
  });
}

function assertSane(peer: FakePeer): Msg[] {
  const { texts, frames } = peer.take();
  for (const f of frames) {
    const check = checkFrame(f);
    assert.ok(check.ok, 'a relayed frame passes the checks');
    const again = copyWithoutMetadata(f, check.headerLen);
    assert.ok(again && Buffer.from(again).equals(Buffer.from(f)), 'a relayed frame has no metadata left');
  }
  assert.ok(peer.closes.length <= 1, 'closed at most once');
  for (const c of peer.closes) assert.ok(CLOSE_CODES.has(c.code) || (c.code >= 1000 && c.code < 4000), `a documented close code: ${c.code}`);
  return parseAll(texts);
}

let pictures: Uint8Array[] = [];
beforeAll(async () => {
  pictures = [await realJpeg(32, 24, 1, { exif: true })];
});

const command = fc.oneof(
  { weight: 3, arbitrary: fc.record({ who: fc.nat({ max: 2 }), binary: fc.constant(false), bytes: textMessage(TEST_LIMITS.maxTextBytes) }) },
  fc.record({ who: fc.nat({ max: 2 }), binary: fc.constant(true), bytes: fc.constant(null).chain(() => binaryMessage(pictures)) }),
);

describe('JSON client messages under generated input', () => {
  it('never throw, and get only documented answers, clean frames and documented closes', () => {
    fuzz(
      'session messages',
      fc.property(fc.array(command, { minLength: 1, maxLength: 12 }), (commands) => {
        const opts = testRoomOptions({ limits: { ...TEST_LIMITS, maxFps: 1000 } });
        const room = newRoom(opts);
        const conns = [openSession(room, opts, 'broadcaster'), openSession(room, opts, 'viewer'), openSession(room, opts, 'viewer', 'v2')];
        for (const c of conns) assertSane(c.peer);
        for (const { who, binary, bytes } of commands) {
          const c = conns[who]!;
          if (c.peer.closes.length > 0) continue; // a closed socket delivers nothing more
          c.session.onMessage(bytes, binary);
          for (const other of conns) assertSane(other.peer);
        }
        for (const c of conns) c.session.end(1000);
        room.dispose();
      }),
      8_000,
    );
  });

  it('answer each well-formed request of a fresh connection with its reply', () => {
    fuzz(
      'session replies',
      fc.property(validMessage, fc.constantFrom('viewer' as const, 'broadcaster' as const), (msg, role) => {
        const opts = testRoomOptions();
        const room = newRoom(opts);
        const { session, peer } = openSession(room, opts, role);
        peer.take();
        session.onMessage(json(msg), false);
        const replies = assertSane(peer);
        const errors = replies.filter((m) => m.type === 'error');
        assert.deepEqual(errors, [], 'no error');
        switch (msg.type) {
          case 'ping':
            assert.ok(replies.some((m) => m.type === 'pong' && Object.is(m.t, (msg as { t: number }).t === 0 ? 0 : (msg as { t: number }).t)));
            break;
          case 'history':
            assert.ok(replies.some((m) => m.type === 'history' && Array.isArray(m.messages)));
            break;
          case 'chat': {
            const chat = replies.find((m) => m.type === 'chat');
            assert.ok(chat, 'the chat comes back');
            assert.equal(chat.text, msg.text);
            assert.equal((chat.from as { id: string }).id, session.sender.id);
            assert.equal(chat.ref, msg.ref);
            break;
          }
          case 'quality':
            assert.ok(replies.some((m) => m.type === 'quality' && m.quality === msg.quality));
            break;
        }
        assert.deepEqual(peer.closes, []);
        session.end(1000);
        room.dispose();
      }),
      6_000,
    );
  });

  it('refuse text that is not a JSON object with a type, and unknown types, with their codes', () => {
    const notJson = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !parses(s)).map(utf8),
      fc.uint8Array({ maxLength: 100 }).filter((b) => !decodes(b) || !parses(Buffer.from(b).toString())),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as Msg).type !== 'string').map(json),
    );
    const unknownType = fc
      .tuple(fc.string({ maxLength: 20 }).filter((t) => !(CLIENT_TYPES as readonly string[]).includes(t)), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }))
      .map(([t, rest]) => json({ ...rest, type: t }));
    fuzz(
      'session refusals',
      fc.property(fc.oneof(notJson.map((b) => [b, 'BAD_JSON'] as const), unknownType.map((b) => [b, 'UNKNOWN_TYPE'] as const)), ([bytes, code]) => {
        const opts = testRoomOptions();
        const room = newRoom(opts);
        const { session, peer } = openSession(room, opts, 'viewer');
        peer.take();
        session.onMessage(bytes, false);
        const replies = assertSane(peer);
        const tooLarge = bytes.length > TEST_LIMITS.maxTextBytes;
        // Invalid UTF-8 may instead be closed with the standard 1007.
        if (code === 'BAD_JSON' && !decodes(bytes) && peer.closes[0]?.code === 1007) return;
        assert.deepEqual(
          replies.map((m) => m.code),
          [tooLarge ? 'MESSAGE_TOO_LARGE' : code],
        );
        session.end(1000);
        room.dispose();
      }),
      6_000,
    );
  });

  it('close a connection with 4500 on its 21st invalid message, and never for a few good ones', () => {
    const invalid = fc.oneof(
      fc.constant(utf8('{nope')),
      fc.constant(json({ type: 'dance' })),
      fc.constant(json([1])),
      // Requests (history, quality, ping) are charged to the request budget before their fields
      // are read, so a bad one may be refused as rate-limited within the grace instead: the
      // exact count below holds for messages outside the budget.
      fc.constant(json({ type: 'chat', text: 'x', ref: 5 })),
      fc.constant(json({ type: 'chat', text: 7 })),
    );
    fuzz(
      'session strikes',
      fc.property(fc.array(validMessage, { maxLength: 10 }), fc.array(invalid, { minLength: 21, maxLength: 30 }), (good, bad) => {
        const opts = testRoomOptions();
        const room = newRoom(opts);
        const { session, peer } = openSession(room, opts, 'viewer');
        for (const m of good) session.onMessage(json(m), false);
        assertSane(peer);
        assert.equal(peer.closes.length, 0, 'good messages never close');
        bad.forEach((b, i) => {
          if (peer.closes.length > 0) return;
          session.onMessage(b, false);
          assert.equal(peer.closes.length, i < 20 ? 0 : 1, `after invalid message ${i + 1}`);
        });
        assertSane(peer);
        assert.deepEqual(
          peer.closes.map((c) => c.code),
          [CloseCodes.POLICY_VIOLATION.code],
        );
        room.dispose();
      }),
      1_500,
    );
  });
});

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function decodes(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}
