import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../loadtest/report.js';
import { itNeeding } from '../helpers/binaries.js';
import { redisSkip } from '../helpers/redis-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'loadtest/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run loadtest against a spawned server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-loadtest-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every frame and chat message to a few dozen viewers and says so in the JSON report', async () => {
    const json = join(dir, 'report.json');
    const { code, stdout, stderr } = await runCli([
      '--spawn', '--viewers', '30', '--fps', '10', '--frame-kb', '8', '--duration', '3', '--warmup', '1',
      '--late-joiners', '4', '--chatters', '5', '--chat-rate', '1', '--slow-viewers', '0.1', '--workers', '2',
      '--no-progress', '--json', json,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /delivered\s+100\.00%/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as Report & { command: string[] };
    assert.equal(r.target, 'beamcast');
    assert.equal(r.spawned, true);
    assert.ok(r.command.includes('--viewers'));
    assert.equal(r.connections.attempted, 34);
    assert.equal(r.connections.connected, 34);
    assert.equal(r.connections.errors, 0);
    // 27 normal viewers (3 are slow), 30 frames each in the measured window: all of them arrived.
    assert.equal(r.frames.measuredViewers, 27);
    assert.equal(r.frames.expectedPerViewer, 30);
    assert.equal(r.frames.received, 27 * 30);
    assert.equal(r.frames.deliveredRatio, 1);
    assert.deepEqual(r.frames.refusedToBroadcaster, {});
    assert.equal(r.fps.min, 10);
    assert.equal(r.relayLatencyMs.count, 27 * 30);
    assert.ok(r.relayLatencyMs.p50 >= 0 && r.relayLatencyMs.p99 >= r.relayLatencyMs.p50 && r.relayLatencyMs.max >= r.relayLatencyMs.p99);
    assert.equal(r.captureLatencyMs.count, 27 * 30);
    assert.equal(r.lateJoiners.count, 4);
    assert.equal(r.lateJoiners.withoutFrame, 0);
    assert.equal(r.slowViewers.count, 3);
    assert.ok(r.chat.sent > 0);
    assert.equal(r.chat.accepted, r.chat.sent);
    assert.equal(r.chat.lost, 0);
    assert.equal(r.chat.idGaps, 0);
    assert.equal(r.chat.received, r.chat.expectedDeliveries);
    assert.ok(r.server.cpuSeconds !== null && r.server.cpuSeconds >= 0);
    assert.ok(r.server.rssPeakBytes !== null && r.server.rssPeakBytes > 0);
    assert.ok(r.throughput.bytesDelivered >= 27 * 30 * 8 * 1024 * 0.9);
    assert.equal(r.generator.workers, 2);
    assert.equal(r.generator.workerUtilisation.length, 2);
  });

  itNeeding(redisSkip(), 'spreads viewers over two nodes through Redis and reports each node, same-node and cross-node figures', async () => {
    const json = join(dir, 'cluster.json');
    const { code, stdout, stderr } = await runCli([
      '--spawn', '--nodes', '2', '--viewers', '20', '--fps', '10', '--frame-kb', '8', '--duration', '3', '--warmup', '1',
      '--late-joiners', '2', '--chatters', '4', '--workers', '2', '--no-progress', '--json', json,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /cluster: 2 nodes/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const c = r.cluster!;
    assert.equal(c.nodes, 2);
    assert.deepEqual(c.perNode.map((n) => [n.node, n.broadcaster, n.measuredViewers]), [['n1', true, 10], ['n2', false, 10]]);
    // Every viewer, on either node, got every frame of the window; the other node's came through Redis.
    assert.equal(c.sameNode.received, 10 * 30);
    assert.equal(c.crossNode.received, 10 * 30);
    assert.equal(c.crossNode.relayLatencyMs.count, 10 * 30);
    assert.equal(c.perNode[1]!.bus!.framesFetched >= 25, true, 'the second node fetched the frames from Redis');
    assert.ok(c.redis.inputBytes! > 30 * 8 * 1024 && c.redis.outputBytes! > 30 * 8 * 1024);
    assert.ok(c.redis.perFramePerNode! > 0.5 && c.redis.perFramePerNode! < 2, `Redis carried ${c.redis.perFramePerNode} × frame bytes × nodes`);
    assert.ok(c.perNode.every((n) => n.cpuSeconds !== null && n.cpuSecondsPerGb !== null));
    assert.ok(c.total.cpuSecondsWithRedis! >= c.total.cpuSeconds!);
    assert.equal(r.lateJoiners.withoutFrame, 0);
    assert.equal(r.chat.lost, 0, 'chat crosses nodes too');
  });

  it('refuses a bad command line with a clear message', async () => {
    const { code, stderr } = await runCli(['--viewers', '10']);
    assert.equal(code, 2);
    assert.match(stderr, /--ws-url .* or --spawn/);
  });
});
