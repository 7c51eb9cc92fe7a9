import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { admit, type AdmissionPolicy, type UpgradeInfo } from '../../src/core/admission.js';
import { ConnectionLimiter } from '../../src/core/connection-limiter.js';
import { isValidStreamKey, streamKey } from '../../src/core/stream-key.js';
import { deriveTokenKey, mintToken, verifyToken } from '../../src/core/viewer-token.js';
import { ErrorCodes, isValidRoomName } from '../../src/protocol/index.js';
import { fuzz } from '../helpers/fuzz.js';
import { testRoomOptions } from '../helpers/fake-peer.js';
import { localRooms } from '../helpers/local-rooms.js';

const SECRET = 'fuzz-secret';
const policy: AdmissionPolicy = {
  secret: SECRET,
  tokenKey: deriveTokenKey(SECRET),
  allowedOrigins: ['https://cam.example.org'],
  maxNameLength: 32,
  qualities: ['source', 'sd', 'thumb'],
  isDraining: () => false,
};
const rooms = localRooms(testRoomOptions(), 60_000);

const roomName = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', 'demo', 'A', '-x', 'x'.repeat(65), 'caf\u00e9', '..', '%2e'),
);
const origin = fc.oneof(fc.constant(''), fc.constant('https://cam.example.org'), fc.string({ maxLength: 30 }));

// Raw query strings: well-formed pairs of the parameters admission reads, with any values (raw or
// percent-encoded), mixed with arbitrary text and broken escapes.
const paramName = fc.oneof(fc.constantFrom('role', 'key', 'name', 'quality', 'since', 'token'), fc.string({ maxLength: 6 }));
const tokenKey = deriveTokenKey(SECRET);
const tokensFor = (room: string) => [
  mintToken(tokenKey, room, ['publish'], 3600).token,
  mintToken(tokenKey, room, ['watch', 'chat'], 3600).token,
  mintToken(tokenKey, room, ['publish'], 3600, Date.now() - 7200_000).token,
  mintToken(tokenKey, `${room}x`, ['publish'], 3600).token,
];
/** What a broadcaster may be admitted with: the room's key, or a token that grants publish. */
const mayBroadcast = (room: string, q: URLSearchParams) => {
  if (isValidStreamKey(SECRET, room, q.get('key') ?? undefined)) return true;
  const check = verifyToken(tokenKey, q.get('token') ?? '', room);
  return check.ok && check.claims.grants.includes('publish');
};
const paramValue = (room: string) =>
  fc.oneof(
    fc.constantFrom('viewer', 'broadcaster', 'source', 'sd', 'thumb', '0', '42', '-1', '1e3', '9007199254740993', ' ', '', '%', '%zz', '%00', '+', streamKey(SECRET, room), streamKey(SECRET, room).toUpperCase(), ...tokensFor(room)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.stringMatching(/^\d{1,20}$/),
  );
const pair = (room: string) => fc.tuple(paramName, paramValue(room), fc.boolean()).map(([k, v, enc]) => (enc ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`));
const queryFor = (room: string) => fc.oneof({ weight: 3, arbitrary: fc.array(pair(room), { maxLength: 7 }).map((p) => p.join('&')) }, fc.string({ unit: 'binary', maxLength: 120 }));

const upgrade: fc.Arbitrary<{ info: UpgradeInfo; raw: string }> = roomName.chain((room) =>
  fc.record({ raw: queryFor(room), origin, address: fc.oneof(fc.constant('127.0.0.1'), fc.string({ maxLength: 40 })) }).map(({ raw, origin, address }) => ({
    raw,
    info: { room, query: new URLSearchParams(raw), origin, address, wsVersion: '13' },
  })),
);

describe('upgrade query strings under generated input', () => {
  it('never throw: each gets a catalog refusal that matches its parameters, or a sane admission holding one slot', () => {
    fuzz(
      'admission',
      fc.property(upgrade, ({ info }) => {
        const limiter = new ConnectionLimiter(1);
        const verdict = admit(info, policy, rooms, limiter);
        const q = info.query;
        if (!verdict.ok) {
          assert.ok(Object.hasOwn(ErrorCodes, verdict.code), verdict.code);
          assert.equal(limiter.addresses, 0, 'a refusal holds no slot');
          const role = q.get('role') ?? 'viewer';
          switch (verdict.code) {
            case 'ORIGIN_NOT_ALLOWED':
              assert.ok(info.origin !== '' && !policy.allowedOrigins.includes(info.origin));
              break;
            case 'BAD_ROOM':
              assert.ok(!isValidRoomName(info.room));
              break;
            case 'BAD_ROLE':
              assert.ok(role !== 'viewer' && role !== 'broadcaster');
              break;
            case 'BAD_KEY':
              assert.ok(role === 'broadcaster' && !isValidStreamKey(SECRET, info.room, q.get('key') ?? undefined) && !q.get('token'));
              break;
            case 'BAD_TOKEN':
            case 'TOKEN_EXPIRED':
            case 'NOT_ALLOWED':
              assert.ok(role === 'broadcaster' && !mayBroadcast(info.room, q) && q.get('token'));
              break;
            case 'NAME_TOO_LONG':
              assert.ok((q.get('name') ?? '').trim().length > policy.maxNameLength);
              break;
            case 'BAD_QUALITY':
              assert.ok(!policy.qualities.includes(q.get('quality') ?? 'source'));
              break;
            case 'BAD_SINCE':
              assert.ok(!/^\d+$/.test(q.get('since') ?? '0') || !Number.isSafeInteger(Number(q.get('since'))));
              break;
            default:
              assert.ok(!['ROOM_FULL', 'TOO_MANY_CONNECTIONS', 'SHUTTING_DOWN'].includes(verdict.code), `no reason for ${verdict.code}`);
          }
          return;
        }
        assert.equal(verdict.room, info.room);
        assert.ok(isValidRoomName(verdict.room));
        assert.ok(verdict.role === 'viewer' || verdict.role === 'broadcaster');
        if (verdict.role === 'broadcaster') assert.ok(mayBroadcast(info.room, q), 'broadcasters hold the key or a publish token');
        assert.equal(typeof verdict.name, 'string');
        assert.ok(verdict.name.length <= policy.maxNameLength);
        assert.equal(verdict.name, verdict.name.trim());
        assert.ok(policy.qualities.includes(verdict.quality));
        assert.ok(verdict.since === null || (Number.isSafeInteger(verdict.since) && verdict.since >= 0));
        assert.equal(verdict.address, info.address);
        assert.equal(limiter.tryAcquire(info.address), false, 'the admission holds the one slot');
      }),
      15_000,
    );
  });

  it('admit every well-formed request, whatever else the query holds', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 32 });
    fuzz(
      'admission of well-formed queries',
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/),
        fc.record(
          {
            role: fc.constantFrom('viewer', 'broadcaster'),
            name: printable,
            quality: fc.constantFrom(...policy.qualities, ''),
            since: fc.oneof(fc.nat().map(String), fc.constant('')),
            extra: fc.string({ maxLength: 20 }),
          },
          { requiredKeys: [] },
        ),
        (room, params) => {
          const query = new URLSearchParams(Object.entries(params) as [string, string][]);
          if (params.role === 'broadcaster') query.set('key', streamKey(SECRET, room));
          const verdict = admit({ room, query, origin: '', address: '10.0.0.1', wsVersion: '13' }, policy, rooms, new ConnectionLimiter(0));
          assert.ok(verdict.ok, `admitted: ${query}`);
          assert.equal(verdict.role, params.role ?? 'viewer');
          assert.equal(verdict.quality, params.quality || 'source');
          assert.equal(verdict.since, params.since ? Number(params.since) : null);
        },
      ),
      5_000,
    );
  });
});
