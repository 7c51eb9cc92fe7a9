import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import type { FrameTap } from '../../src/core/room.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { createMetrics } from '../../src/metrics/create-metrics.js';
import { findBinary, itNeeding, skipWithout } from '../helpers/binaries.js';
import { dashboardExpressions, readRepoFile, repoFile, substitute } from '../helpers/deploy-files.js';
import { waitFor } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { startPrometheus, type PrometheusServer, type PromSample } from '../helpers/prometheus-server.js';
import { RedisServer, redisSkip } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const PROM_CONFIG = 'deploy/prometheus/prometheus.yml';
const DASHBOARD = 'deploy/grafana/dashboards/beamcast.json';

// The compose service's replicas, found through Docker's DNS: replaced by the test's nodes.
const DNS_SD = `    dns_sd_configs:
      - names: ['beamcast']
        type: A
        port: 8080
        refresh_interval: 15s
`;

/** The deploy config, pointed at test servers and scraping every second. */
function testPromConfig(httpPorts: readonly number[]): string {
  return substitute(
    readRepoFile(PROM_CONFIG),
    [
      [DNS_SD, `    static_configs:\n      - targets: [${httpPorts.map((p) => `'127.0.0.1:${p}'`).join(', ')}]\n`],
      ['scrape_interval: 5s', 'scrape_interval: 1s'],
    ],
    PROM_CONFIG,
  );
}

// Grafana's interval variables, replaced as Grafana would for a 1 s scrape interval.
const grafanaVars = (expr: string) => expr.replaceAll('$__rate_interval', '5s').replaceAll('$__interval', '1s');

describe('Prometheus', () => {
  itNeeding(skipWithout('promtool', 'prometheus'), 'promtool check config accepts the deploy config (as shipped and as tested)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamcast-promtool-'));
    try {
      const tested = join(dir, 'prometheus.yml');
      writeFileSync(tested, testPromConfig([8080, 8090]));
      for (const file of [repoFile(PROM_CONFIG), tested]) {
        const r = spawnSync(findBinary('promtool')!, ['check', 'config', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `promtool check config ${file}:\n${r.stdout}${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Two nodes sharing Redis, as docker-compose.yml runs them: the broadcaster on node a, viewers
  // on both, so frames cross the bus and every per-node and bus panel has data from each node.
  const liveSkip = skipWithout('prometheus', 'prometheus') || redisSkip();
  itNeeding(liveSkip, 'scrapes two live nodes sharing Redis, and every expression of the Grafana dashboard returns data, per node where it says so', async () => {
    const redis = await RedisServer.start();
    const nodes: TestServer[] = [];
    let prom: PrometheusServer | null = null;
    const clients: TestClient[] = [];
    let traffic: NodeJS.Timeout | undefined;
    try {
      for (const nodeId of ['node-a', 'node-b']) {
        const metrics = createMetrics({ qualities: ['source', 'low'], roomLabels: 3 });
        // A stand-in for the media pipeline's tier: it republishes the source frame as "low" and
        // reports the time it took, so the recompress series carry samples.
        const lowTier: FrameTap = {
          onSourceFrame(room, frame) {
            const t0 = performance.now();
            room.publishTier('low', new Uint8Array(frame), Date.now());
            metrics.telemetry.frameRecompressed('low', (performance.now() - t0) / 1000);
          },
        };
        const server = await startTestServer(
          { maxFps: '10', redisUrl: redis.url, nodeId },
          { telemetry: metrics.telemetry, http: metrics.http, qualities: ['source', 'low'], taps: [lowTier] },
        );
        nodes.push(server);
        metrics.watchSockets(server.ws);
      }
      const [a, b] = nodes as [TestServer, TestServer];
      prom = await startPrometheus(testPromConfig(nodes.map((n) => n.httpPort)));
      const room = 'promroom';
      for (const [node, quality] of [[a, 'source'], [a, 'low'], [b, 'source'], [b, 'low']] as const) {
        const v = await TestClient.connect(node.wsUrl(room, { quality }));
        await v.nextText('history');
        clients.push(v);
      }
      const cam = await TestClient.connect(a.wsUrl(room, { role: 'broadcaster', key: a.key(room) }));
      await cam.nextText('welcome');
      clients.push(cam);
      // 20 fps against MAX_FPS=10 (rate_limit skips), plus once a second: a frame that is not a
      // JPEG, a chat message, an empty one (refused) and an upgrade with a wrong key (refused).
      let seq = 0;
      traffic = setInterval(() => {
        cam.send(fakeFrame(++seq, 2000));
        if (seq % 20 === 0) {
          cam.send(encodeFrame(new Uint8Array(200), seq, Date.now()));
          cam.send({ type: 'chat', text: `tick ${seq}` });
          cam.send({ type: 'chat', text: ' ' });
          TestClient.connect(a.wsUrl(room, { role: 'broadcaster', key: 'wrong' })).catch(() => {});
        }
      }, 50);

      await waitFor(
        async () => ((await prom!.targets()).filter((t) => t.health === 'up').length === 2 ? true : undefined),
        20_000,
        'both beamcast targets to be up',
      );
      const exprs = dashboardExpressions(JSON.parse(readRepoFile(DASHBOARD)));
      assert.ok(exprs.length >= 30, `the dashboard has its expressions (${exprs.length})`);
      const finite = (r: PromSample[]) => r.filter((s) => Number.isFinite(Number(s.value[1])));
      const nodeIds = (r: PromSample[]) => [...new Set(r.map((s) => s.metric.node))].sort().join(',');
      const missing: string[] = [];
      for (const { panel, expr } of exprs) {
        const q = grafanaVars(expr);
        const perNode = q.includes('beamcast_node_info');
        try {
          const result = await waitFor(async () => {
            const r = await prom!.query(q);
            if (finite(r).length === 0) return undefined;
            return !perNode || nodeIds(r) === 'node-a,node-b' ? r : undefined;
          }, 20_000, perNode ? `a series per node for ${q}` : `data for ${q}`);
          // Room names are labels only in the opt-in per-room series.
          if (!q.includes('beamcast_room_')) for (const s of result) assert.ok(!('room' in s.metric), `no room label in ${q}`);
        } catch (err) {
          missing.push(`[${panel}] ${q}: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(missing, [], `dashboard expressions without data:\n${missing.join('\n')}`);
      // The bus carried frames: node a published them, node b fetched them.
      const busRate = async (metric: string, node: string) =>
        Number((await prom!.query(`rate(${metric}[5s]) * on (instance) group_left (node) beamcast_node_info{node="${node}"}`))[0]?.value[1] ?? 0);
      assert.ok((await busRate('beamcast_bus_frames_published_total', 'node-a')) > 0, 'node a publishes frames to the bus');
      assert.ok((await busRate('beamcast_bus_fetched_bytes_total', 'node-b')) > 0, 'node b fetches frames from the bus');
    } finally {
      clearInterval(traffic);
      await Promise.all(clients.map((c) => c.close()));
      await prom?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
      await redis.stop();
    }
  });
});
