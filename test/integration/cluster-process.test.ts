import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding } from '../helpers/binaries.js';
import { waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const wsUrl = (p: BeamcastProcess, room: string, query: Record<string, string | number> = {}) =>
  `ws://127.0.0.1:${p.wsPort}/ws/${room}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`;
const camUrl = (p: BeamcastProcess, room: string) => wsUrl(p, room, { role: 'broadcaster', key: streamKey(TEST_SECRET, room) });
const roomInfo = async (p: BeamcastProcess, room: string) => {
  const res = await fetch(p.httpUrl(`/api/rooms/${room}`));
  return res.status === 200 ? ((await res.json()) as { live: boolean; viewers: number }) : null;
};

const procs: BeamcastProcess[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const node = async (env: Record<string, string>) => {
  const p = await startBeamcastProcess({ DEMO_ROOM: '', ...env });
  procs.push(p);
  return p;
};
const client = async (url: string) => {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
};

describe('chat survives a restart without Redis', () => {
  it('serves the same ids and epoch after a SIGKILL, from DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-keep-'));
    dirs.push(dataDir);
    const first = await node({ DATA_DIR: dataDir });
    await client(camUrl(first, 'kept'));
    const talker = await client(wsUrl(first, 'kept'));
    const welcome = await talker.nextText('welcome');
    for (let i = 1; i <= 3; i++) talker.send({ type: 'chat', text: `before ${i}` });
    for (let i = 1; i <= 3; i++) await talker.nextText('chat');
    first.process.signal('SIGKILL');
    await first.process.exited;

    const second = await node({ DATA_DIR: dataDir });
    const back = await client(wsUrl(second, 'kept', { since: 1 }));
    const again = await back.nextText('welcome');
    const h = await back.nextText('history');
    assert.equal(again.chatEpoch, welcome.chatEpoch, 'same epoch: clients keep their ids');
    assert.deepEqual(h.messages.map((m) => [m.id, m.text]), [[2, 'before 2'], [3, 'before 3']]);
    back.send({ type: 'chat', text: 'after' });
    assert.equal((await back.nextText('chat')).id, 4);
  });
});

describeNeeding(redisSkip(), 'a node killed mid-stream (SIGKILL)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("takes its broadcaster and viewers out of every other node's counts within 15 s, and its viewers recover chat elsewhere", async () => {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'kill:', CHAT_RATE: '100', CHAT_BURST: '100' };
    const [a, b] = [await node({ ...env, NODE_ID: 'a' }), await node({ ...env, NODE_ID: 'b' })];
    const cam = await client(camUrl(a, 'k'));
    await cam.nextText('welcome');
    const onA = await client(wsUrl(a, 'k'));
    await client(wsUrl(a, 'k'));
    const onB = await client(wsUrl(b, 'k'));
    await onB.nextText('history');
    cam.send(fakeFrame(1));
    await waitFor(() => onB.frames().find((f) => f.seq === 1), 5000, 'the frame on node b');
    await waitFor(async () => ((await roomInfo(b, 'k'))?.viewers === 3 ? true : undefined), 5000, 'node b to count 3 viewers');
    onA.send({ type: 'chat', text: 'one' });
    const lastSeen = (await onA.nextText('chat')).id;

    a.process.signal('SIGKILL');
    await a.process.exited;
    const killedAt = Date.now();
    // Meanwhile the chat goes on on node b.
    onB.send({ type: 'chat', text: 'two' });
    onB.send({ type: 'chat', text: 'three' });
    while ((await onB.nextText('chat')).text !== 'three');
    // The viewer of node a reconnects through the load balancer to node b, with the last id it had.
    const back = await client(wsUrl(b, 'k', { since: lastSeen }));
    await back.nextText('welcome');
    assert.deepEqual((await back.nextText('history')).messages.map((m) => m.text), ['two', 'three']);

    const seen: number[] = [];
    await waitFor(async () => {
      const info = await roomInfo(b, 'k');
      if (info) seen.push(info.viewers);
      return info && !info.live && info.viewers === 2 ? true : undefined;
    }, 15_000, 'node b to see the room offline, with its own 2 viewers only');
    assert.ok(Date.now() - killedAt <= 15_000);
    assert.ok(seen.every((v) => v >= 2), `counts never went below the truth: ${seen.join(',')}`);
    assert.equal(onB.texts('live').at(-1)?.live, false, 'viewers on node b were told');
  });
});
