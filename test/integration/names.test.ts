import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

describe('names are clean, and only the broadcaster looks like the broadcaster', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  async function refusal(name: string): Promise<{ status: number; error: string }> {
    const err = await TestClient.connect(server.wsUrl('names', { name })).then(
      async (c) => {
        await c.close();
        assert.fail(`expected the name ${JSON.stringify(name)} to be refused`);
      },
      (e: { status: number; body: string }) => e,
    );
    return { status: err.status, error: (JSON.parse(err.body) as { error: string }).error };
  }

  for (const [what, name] of [
    ['NUL', 'a\u0000b'],
    ['an escape sequence', '\u001b[2J'],
    ['a line break inside', 'Ann\r\nAdmin: hi'],
    ['a right-to-left override', 'Ann\u202Eoh'],
    ['a bidi isolate', 'Ann\u2066x\u2069'],
    ['a zero-width space', 'An\u200Bn'],
    ['a BOM inside', 'An\uFEFFn'],
  ]) {
    it(`refuses a name with ${what} with 400 BAD_NAME`, async () => {
      assert.deepEqual(await refusal(name!), { status: 400, error: 'BAD_NAME' });
    });
  }

  it('trims a name and folds its inner white space', async () => {
    const c = await TestClient.connect(server.wsUrl('names', { name: '  Ann \u3000 Lee\t' }));
    assert.equal((await c.nextText('welcome')).you.name, 'Ann Lee');
    await c.close();
  });

  it("gives a viewer who asks for a broadcaster's name its default name and NAME_RESERVED", async () => {
    for (const name of ['Broadcaster', 'HOST', 'broad caster']) {
      const c = await TestClient.connect(server.wsUrl('names', { name }));
      const w = await c.nextText('welcome');
      assert.match(w.you.name, /^viewer-[0-9a-f]{4}$/, name);
      assert.equal(w.you.role, 'viewer');
      assert.equal((await c.nextText('error')).code, 'NAME_RESERVED');
      await c.close();
    }
  });

  it("does not let a viewer take the live broadcaster's name; the broadcaster's messages alone carry its role", async () => {
    const cam = await server.broadcaster('stage', { name: 'Ann' });
    const copycat = await TestClient.connect(server.wsUrl('stage', { name: 'ann' }));
    const w = await copycat.nextText('welcome');
    assert.notEqual(w.you.name.toLowerCase(), 'ann');
    assert.equal((await copycat.nextText('error')).code, 'NAME_RESERVED');
    copycat.send({ type: 'chat', text: 'I am the host' });
    cam.send({ type: 'chat', text: 'no, I am' });
    const [fake, real] = [await copycat.nextText('chat'), await copycat.nextText('chat')];
    assert.deepEqual([fake.from.name, fake.from.role], [w.you.name, 'viewer']);
    assert.deepEqual([real.from.name, real.from.role], ['Ann', 'broadcaster']);
    // A different name is fine.
    const other = await TestClient.connect(server.wsUrl('stage', { name: 'Annie' }));
    assert.equal((await other.nextText('welcome')).you.name, 'Annie');
    await Promise.all([cam.close(), copycat.close(), other.close()]);
  });
});
