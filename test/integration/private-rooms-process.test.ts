import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { deriveTokenKey, verifyToken } from '../../src/core/viewer-token.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { ROOT } from '../helpers/ensure-built.js';
import { refusedUpgrade, setPrivate } from '../helpers/room-admin.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const run = promisify(execFile);
const wsUrl = (p: BeamcastProcess, room: string, query: Record<string, string> = {}) => `ws://127.0.0.1:${p.wsPort}/ws/${room}?${new URLSearchParams(query)}`;

const procs: BeamcastProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const node = async (env: Record<string, string>) => {
  const p = await startBeamcastProcess({ DEMO_ROOM: '', ...env });
  procs.push(p);
  return p;
};
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'beamcast-private-'));
  dirs.push(d);
  return d;
};

/** `npm run -s token -- ARGS` (the built CLI, as the image has it: dist/cli/token.js). */
const tokenCli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [join(ROOT, 'dist/cli/token.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: tempDir() });

describe('private rooms outside one process', () => {
  it('stay private after a SIGKILL: the setting was on disk before it was announced', async () => {
    const dataDir = tempDir();
    const first = await node({ DATA_DIR: dataDir });
    await setPrivate(first.httpUrl(''), 'vault', streamKey(TEST_SECRET, 'vault'), true);
    first.process.signal('SIGKILL');
    await first.process.exited;
    const second = await node({ DATA_DIR: dataDir });
    assert.deepEqual(await refusedUpgrade(wsUrl(second, 'vault')), { status: 401, code: 'TOKEN_REQUIRED' });
  });

  it('npm run token prints only a token, which the server accepts for the room and grants it names', async () => {
    const dataDir = tempDir();
    const server = await node({ DATA_DIR: dataDir });
    await setPrivate(server.httpUrl(''), 'cli', streamKey(TEST_SECRET, 'cli'), true);
    const { stdout, stderr } = await tokenCli(['--room', 'cli', '--grants', 'watch', '--ttl', '2h'], { STREAM_SECRET: TEST_SECRET });
    assert.equal(stderr, '');
    assert.match(stdout, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/, 'one line: the token');
    const check = verifyToken(deriveTokenKey(TEST_SECRET), stdout.trim(), 'cli');
    assert.ok(check.ok);
    assert.deepEqual(check.claims.grants, ['watch']);
    assert.ok(Math.abs(check.claims.expiresAt - (Date.now() + 2 * 3600_000)) < 5000);
    const c = await TestClient.connect(wsUrl(server, 'cli', { token: stdout.trim() }));
    assert.deepEqual((await c.nextText('welcome')).grants, ['watch']);
    await c.close();
  });

  it('npm run token reads the secret a server kept in DATA_DIR, as stream-key does, and refuses bad options with exit code 2', async () => {
    const dataDir = tempDir();
    const server = await node({ STREAM_SECRET: '', DATA_DIR: dataDir });
    const { stdout } = await tokenCli(['--room', 'kept', '--data-dir', dataDir], {});
    const c = await TestClient.connect(wsUrl(server, 'kept', { token: stdout.trim() }));
    assert.deepEqual((await c.nextText('welcome')).grants, ['watch', 'chat']);
    await c.close();
    for (const args of [[], ['--room', 'Bad Room'], ['--room', 'r', '--grants', 'admin'], ['--room', 'r', '--ttl', '31d'], ['--room', 'r', '--ttl', 'soon']]) {
      const err = await tokenCli(args, { STREAM_SECRET: TEST_SECRET }).then(
        () => null,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      assert.ok(err, `refused: ${args.join(' ')}`);
      assert.equal(err.code, 2);
      assert.equal(err.stdout, '', 'nothing on stdout');
      assert.match(err.stderr, /usage: npm run token/);
    }
  });
});
