import assert from 'node:assert/strict';
import { test } from 'vitest';
import { startTestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

test('idle connections are pinged; a peer that never answers is dropped, one that answers stays', async () => {
  // The shortest idle timeout uWS allows; the default (60 s) drops a dead peer within about a minute.
  const server = await startTestServer({ idleTimeout: '8' });
  try {
    const dead = await TestClient.connect(server.wsUrl('ka'), { autoPong: false });
    const alive = await TestClient.connect(server.wsUrl('ka'));
    let pings = 0;
    dead.ws.on('ping', () => pings++);
    const code = await dead.waitClose(20_000);
    assert.equal(code, 1006, 'dropped without a close handshake');
    assert.ok(pings >= 1, 'the server pinged before dropping');
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(alive.closeCode, null, 'a peer that answers pings stays connected');
    const presence = await alive.nextText('presence', 3000);
    assert.ok(presence.viewers >= 1);
    await alive.close();
  } finally {
    await server.stop();
  }
});
