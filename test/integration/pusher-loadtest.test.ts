// The Pusher load scenario: its lean subscriber sees what pusher-js sees, and a tiny run against
// beamcast (and soketi, when installed) delivers every event and says so in the JSON report.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { LeanSocket } from '../../loadtest/lean-socket.js';
import type { PusherReport } from '../../loadtest/pusher-report.js';
import { benchEventData, decodePusherMessage, pusherPath, subscribeMessage, type PusherMessage } from '../../loadtest/pusher-subscriber.js';
import { soketiInstalled } from '../../loadtest/pusher-targets.js';
import { PusherTrigger } from '../../loadtest/pusher-trigger.js';
import { waitFor } from '../helpers/free-port.js';
import { APP, connected, once, pusherClient, sdkFor, startPusherServer } from '../helpers/pusher-server.js';
import type { TestServer } from '../helpers/test-server.js';

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

describe('the load generator’s Pusher subscriber', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPusherServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads the same events, names and data as a pusher-js client on the same channel', async () => {
    const js = pusherClient(server);
    const lean: { conn: LeanSocket | null; socketId: string; subscribed: boolean; events: PusherMessage[] } = { conn: null, socketId: '', subscribed: false, events: [] };
    try {
      await connected(js);
      const channel = js.subscribe('bench');
      const jsEvents: { event: string; data: unknown }[] = [];
      channel.bind_global((event: string, data: unknown) => {
        if (!event.startsWith('pusher:')) jsEvents.push({ event, data });
      });
      await once((cb) => channel.bind('pusher:subscription_succeeded', cb), 5000, 'pusher-js subscribed');

      const decoder = new TextDecoder();
      lean.conn = new LeanSocket(
        { host: '127.0.0.1', port: server.wsPort, path: pusherPath(APP.key) },
        {
          open: () => {},
          binary: () => assert.fail('binary message'),
          text: (conn, bytes, len, total) => {
            assert.equal(len, total);
            const m = decodePusherMessage(decoder.decode(bytes.subarray(0, len)));
            assert.ok(m);
            if (m.event === 'pusher:connection_established') {
              lean.socketId = (m.data as { socket_id: string }).socket_id;
              conn.sendText(subscribeMessage('bench'));
            } else if (m.event === 'pusher_internal:subscription_succeeded') lean.subscribed = m.channel === 'bench';
            else if (!m.event.startsWith('pusher')) lean.events.push(m);
          },
          refused: (_c, status, code) => assert.fail(`refused ${status} ${code}`),
          closed: () => {},
        },
        4096,
      );
      await waitFor(() => lean.subscribed || undefined, 5000, 'the lean subscriber subscribed');
      assert.match(lean.socketId, /^\d+\.\d+$/);

      // Triggered the load generator's way (beamcast's signing module), then once by the pusher SDK.
      const trigger = new PusherTrigger(`http://127.0.0.1:${server.httpPort}`, APP);
      trigger.trigger('bench', 'tick', (sentAt) => benchEventData(1, sentAt, 200));
      await trigger.settled();
      trigger.trigger('bench', 'plain', () => 'not json, kept as a string: é ✓');
      await trigger.settled();
      trigger.trigger('bench', 'number', () => '42');
      await trigger.settled();
      trigger.close();
      assert.deepEqual(trigger.stats.statuses, { 200: 3 });
      await sdkFor(server).trigger('bench', 'sdk', { seq: 2, sentAt: 5.5, nested: { a: [1, 'two'] } });

      await waitFor(() => (jsEvents.length >= 4 && lean.events.length >= 4) || undefined, 5000, 'four events on both clients');
      assert.deepEqual(
        lean.events.map((m) => ({ event: m.event, data: m.data })),
        jsEvents,
      );
      assert.ok(lean.events.every((m) => m.channel === 'bench'));
      assert.deepEqual(jsEvents.map((e) => e.event), ['tick', 'plain', 'number', 'sdk']);
      assert.equal((jsEvents[0]!.data as { seq: number }).seq, 1);
      assert.equal(jsEvents[2]!.data, 42);
    } finally {
      js.disconnect();
      lean.conn?.close();
    }
  });
});

describe('npm run loadtest -- --scenario pusher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-pusher-loadtest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tiny = async (target: string): Promise<PusherReport> => {
    const json = join(dir, `${target}.json`);
    const { code, stdout, stderr } = await runCli([
      '--scenario', 'pusher', '--spawn', '--target', target, '--subscribers', '20', '--rate', '10', '--duration', '2', '--warmup', '0.5',
      '--workers', '2', '--no-progress', '--json', json,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /delivered\s+100\.00%/);
    return JSON.parse(readFileSync(json, 'utf8')) as PusherReport;
  };

  const checkShape = (r: PusherReport & { command?: string[] }, target: string) => {
    assert.equal(r.scenario, 'pusher');
    assert.equal(r.target, target);
    assert.equal(r.spawned, true);
    assert.ok(r.command?.includes('--subscribers'));
    assert.deepEqual(r.connections, { attempted: 20, connected: 20, subscribed: 20, neverSubscribed: 0, refused: {}, unexpectedCloses: {} });
    // 5 warm-up events, then 20 in the window, each to all 20 subscribers
    assert.equal(r.events.windowTriggered, 20);
    assert.deepEqual(r.events.statuses, { 200: 25 });
    assert.deepEqual(r.deliveries, { expected: 400, received: 400, lost: 0, deliveredRatio: 1, duplicates: 0, outOfOrder: r.deliveries.outOfOrder, minPerSubscriber: 20 });
    assert.deepEqual(r.errors, {});
    assert.equal(r.latencyMs.count, 400);
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p99 >= r.latencyMs.p50 && r.latencyMs.max >= r.latencyMs.p99);
    // every window event has a first and a last delivery; the slowest are listed by seq (window: 6..25)
    assert.ok(r.perEvent.firstMs.p50 > 0 && r.perEvent.lastMs.max >= r.perEvent.firstMs.max && Math.abs(r.perEvent.lastMs.max - r.latencyMs.max) < 0.001);
    assert.equal(r.perEvent.slowest.length, 5);
    assert.ok(r.perEvent.slowest.every((e) => e.seq >= 6 && e.seq <= 25 && e.lastMs >= e.firstMs));
    assert.ok(r.events.responseMs.count === 25 && r.events.responseMs.p50 > 0);
    assert.equal(r.server.source, 'proc');
    assert.ok(r.server.cpuSeconds !== null && r.server.cpuSeconds >= 0);
    assert.ok(r.server.cpuMsPer1000Deliveries !== null && r.server.cpuMsPer1000Deliveries >= 0);
    assert.ok(r.server.idleCpuPercent !== null && r.server.idleCpuPercent >= 0);
    assert.ok(r.server.rssPeakBytes !== null && r.server.rssPeakBytes > 0);
    assert.equal(r.generator.workerUtilisation.length, 2);
  };

  it('delivers every event to 20 subscribers of beamcast, triggered through the signed HTTP API, and reports it as JSON', async () => {
    checkShape(await tiny('beamcast'), 'beamcast');
  });

  it.skipIf(!soketiInstalled())('does the same against soketi (skipped when not installed: npm run baseline:soketi:install)', async () => {
    checkShape(await tiny('soketi'), 'soketi');
  });
});
