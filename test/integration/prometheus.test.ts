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
import { startPrometheus, type PromSample } from '../helpers/prometheus-server.js';
import { startTestServer } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const PROM_CONFIG = 'deploy/prometheus/prometheus.yml';
const DASHBOARD = 'deploy/grafana/dashboards/beamcast.json';

/** The deploy config, pointed at a test server and scraping every second. */
function testPromConfig(httpPort: number): string {
  return substitute(
    readRepoFile(PROM_CONFIG),
    [
      ["'beamcast:8080'", `'127.0.0.1:${httpPort}'`],
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
      writeFileSync(tested, testPromConfig(8080));
      for (const file of [repoFile(PROM_CONFIG), tested]) {
        const r = spawnSync(findBinary('promtool')!, ['check', 'config', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `promtool check config ${file}:\n${r.stdout}${r.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itNeeding(skipWithout('prometheus', 'prometheus'), 'scrapes a live server, and every expression of the Grafana dashboard returns data', async () => {
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
      { maxFps: '10' },
      { telemetry: metrics.telemetry, http: metrics.http, qualities: ['source', 'low'], taps: [lowTier] },
    );
    metrics.watchSockets(server.ws);
    const prom = await startPrometheus(testPromConfig(server.httpPort)).catch(async (err: unknown) => {
      await server.stop();
      throw err;
    });
    const room = 'promroom';
    const clients: TestClient[] = [];
    let traffic: NodeJS.Timeout | undefined;
    try {
      for (const quality of ['source', 'low']) {
        const v = await TestClient.connect(server.wsUrl(room, { quality }));
        await v.nextText('history');
        clients.push(v);
      }
      const cam = await TestClient.connect(server.wsUrl(room, { role: 'broadcaster', key: server.key(room) }));
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
          TestClient.connect(server.wsUrl(room, { role: 'broadcaster', key: 'wrong' })).catch(() => {});
        }
      }, 50);

      await waitFor(
        async () => ((await prom.targets()).some((t) => t.health === 'up') ? true : undefined),
        20_000,
        'the beamcast target to be up',
      );
      const exprs = dashboardExpressions(JSON.parse(readRepoFile(DASHBOARD)));
      assert.ok(exprs.length >= 15, `the dashboard has its expressions (${exprs.length})`);
      const finite = (r: PromSample[]) => r.filter((s) => Number.isFinite(Number(s.value[1])));
      const missing: string[] = [];
      for (const { panel, expr } of exprs) {
        const q = grafanaVars(expr);
        try {
          const result = await waitFor(async () => {
            const r = await prom.query(q);
            return finite(r).length > 0 ? r : undefined;
          }, 20_000, `data for ${q}`);
          // Room names are labels only in the opt-in per-room series.
          if (!q.includes('beamcast_room_')) for (const s of result) assert.ok(!('room' in s.metric), `no room label in ${q}`);
        } catch (err) {
          missing.push(`[${panel}] ${q}: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(missing, [], `dashboard expressions without data:\n${missing.join('\n')}`);
    } finally {
      clearInterval(traffic);
      await Promise.all(clients.map((c) => c.close()));
      await prom.stop();
      await server.stop();
    }
  });
});
