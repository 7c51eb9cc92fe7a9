import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { parseTokenRequest } from '../../src/transport/http/room-admin-routes.js';
import { DEFAULT_ROOM_SETTINGS, parseSettingsPatch, settingsFrom } from '../../src/protocol/index.js';

describe('room settings', () => {
  it('accept the known fields of the right type and range, and nothing else', () => {
    assert.deepEqual(parseSettingsPatch({ private: true, joinNotices: false, slowModeSeconds: 30 }), { ok: true, patch: { private: true, joinNotices: false, slowModeSeconds: 30 } });
    assert.deepEqual(parseSettingsPatch({}), { ok: true, patch: {} });
    const refused = [null, [], 'private', { private: 1 }, { joinNotices: 'no' }, { slowModeSeconds: 3601 }, { slowModeSeconds: -1 }, { slowModeSeconds: 2.5 }, { slowModeSeconds: '5' }, { private: true, extra: 1 }, { __proto__: { private: true }, x: 1 }];
    for (const body of refused) {
      const r = parseSettingsPatch(body);
      assert.equal(r.ok, false, JSON.stringify(body));
      assert.ok(!r.ok && r.detail.length > 0);
    }
  });

  it('read what a store holds leniently: defaults for what is missing or malformed', () => {
    assert.deepEqual(settingsFrom(undefined), DEFAULT_ROOM_SETTINGS);
    assert.deepEqual(settingsFrom({ private: true, slowModeSeconds: 99999, joinNotices: 'x', other: 1 }), { private: true, joinNotices: true, slowModeSeconds: 3600 });
    assert.deepEqual(settingsFrom('garbage'), DEFAULT_ROOM_SETTINGS);
  });

  it('token requests default to watch and chat for a day, and refuse anything unknown', () => {
    assert.deepEqual(parseTokenRequest({}), { ok: true, grants: ['watch', 'chat'], ttlSeconds: 86400 });
    assert.deepEqual(parseTokenRequest(undefined), { ok: true, grants: ['watch', 'chat'], ttlSeconds: 86400 });
    assert.deepEqual(parseTokenRequest({ grants: ['publish'], ttlSeconds: 60 }), { ok: true, grants: ['publish'], ttlSeconds: 60 });
    for (const body of [[], { grants: [] }, { grants: ['watch', 'watch'] }, { ttlSeconds: 0 }, { ttlSeconds: 1e9 }, { room: 'x' }]) assert.equal(parseTokenRequest(body).ok, false, JSON.stringify(body));
  });
});
