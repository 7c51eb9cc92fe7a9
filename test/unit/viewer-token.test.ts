import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { effectiveGrants } from '../../src/core/grants.js';
import { streamKey } from '../../src/core/stream-key.js';
import { deriveTokenKey, MAX_TOKEN_LENGTH, MAX_TOKEN_TTL_SECONDS, mintToken, parseTtl, verifyToken } from '../../src/core/viewer-token.js';
import { fuzz } from '../helpers/fuzz.js';

const key = deriveTokenKey('secret-one');
const NOW = Date.UTC(2030, 0, 1);

describe('viewer tokens', () => {
  it('verify for their room with their grants, in canonical order, until they expire', () => {
    const { token, claims } = mintToken(key, 'lab', ['chat', 'watch', 'chat'], 7200, NOW);
    assert.deepEqual(claims, { room: 'lab', grants: ['watch', 'chat'], expiresAt: NOW + 7200_000 });
    assert.deepEqual(verifyToken(key, token, 'lab', NOW), { ok: true, claims });
    assert.deepEqual(verifyToken(key, token, 'lab', NOW + 7199_000).ok, true);
    assert.deepEqual(verifyToken(key, token, 'lab', NOW + 7200_000), { ok: false, code: 'TOKEN_EXPIRED' });
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(token.length < 160, `compact (${token.length} chars)`);
  });

  it('are unique, even minted in the same second for the same room and grants', () => {
    assert.notEqual(mintToken(key, 'lab', ['watch'], 60, NOW).token, mintToken(key, 'lab', ['watch'], 60, NOW).token);
  });

  it('are refused as BAD_TOKEN for another room, another secret, or any change to payload or signature', () => {
    const { token } = mintToken(key, 'lab', ['watch'], 60, NOW);
    const [body, sig] = token.split('.') as [string, string];
    assert.deepEqual(verifyToken(key, token, 'lab2', NOW), { ok: false, code: 'BAD_TOKEN' });
    assert.deepEqual(verifyToken(deriveTokenKey('secret-two'), token, 'lab', NOW), { ok: false, code: 'BAD_TOKEN' });
    // More grants, a later expiry: a payload the server did not sign.
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), g: ['watch', 'publish'] })).toString('base64url');
    assert.deepEqual(verifyToken(key, `${forged}.${sig}`, 'lab', NOW).ok, false);
    const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    assert.deepEqual(verifyToken(key, `${body}.${flipped}`, 'lab', NOW).ok, false);
    for (const bad of ['', '.', 'abc', `${body}.`, `.${sig}`, `${body}.${sig}.x`, `${body}!.${sig}`, `${body}.${sig.slice(0, -2)}`, 'a'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      assert.deepEqual(verifyToken(key, bad, 'lab', NOW), { ok: false, code: 'BAD_TOKEN' }, JSON.stringify(bad.slice(0, 40)));
    }
  });

  it('are signed with a key derived from the secret, never the secret itself or a stream key', () => {
    const secret = 'secret-one';
    assert.notDeepEqual(key, Buffer.from(secret));
    const body = Buffer.from(JSON.stringify({ r: 'lab', g: ['watch'], e: NOW / 1000 + 60, n: 'x' })).toString('base64url');
    for (const k of [Buffer.from(secret), Buffer.from(streamKey(secret, 'lab'))]) {
      const sig = createHmac('sha256', k).update(body).digest('base64url');
      assert.deepEqual(verifyToken(key, `${body}.${sig}`, 'lab', NOW), { ok: false, code: 'BAD_TOKEN' });
    }
  });

  it('signed by the server but with fields that make no sense are BAD_TOKEN', () => {
    const sign = (payload: unknown) => {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    };
    for (const p of [{ r: 'lab', g: ['admin'], e: 2e9 }, { r: 'lab', g: 'watch', e: 2e9 }, { r: 'lab', g: ['watch'], e: 'never' }, { r: 'lab', g: ['watch'] }, null, [1]]) {
      assert.deepEqual(verifyToken(key, sign(p), 'lab', NOW), { ok: false, code: 'BAD_TOKEN' }, JSON.stringify(p));
    }
  });

  it('never throw and never verify for generated input', () => {
    fuzz(
      'viewer tokens',
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,60}$/)), (t) => {
        assert.equal(verifyToken(key, t, 'lab', NOW).ok, false);
      }),
      5000,
    );
  });

  it('take validities such as 90s, 15m, 2h and 7d, up to 30 days', () => {
    assert.deepEqual(['90', '90s', '15m', '2h', '7d', '30d'].map(parseTtl), [90, 90, 900, 7200, 604800, MAX_TOKEN_TTL_SECONDS]);
    for (const bad of ['', '0', '31d', '2w', '-5m', '1.5h', 'h', '2 h']) assert.equal(parseTtl(bad), null, bad);
  });
});

describe('grants in a room', () => {
  it('give everyone watch and chat in a public room, only a token\'s grants in a private one, and the broadcaster everything', () => {
    assert.deepEqual(effectiveGrants('viewer', null, false), ['watch', 'chat']);
    assert.deepEqual(effectiveGrants('viewer', ['moderate'], false), ['watch', 'chat', 'moderate']);
    assert.deepEqual(effectiveGrants('viewer', null, true), []);
    assert.deepEqual(effectiveGrants('viewer', ['watch'], true), ['watch']);
    assert.deepEqual(effectiveGrants('broadcaster', null, true), ['watch', 'chat', 'moderate', 'publish']);
  });
});
