import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { freePort, waitFor } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  readonly url: string;
  readonly process: ManagedProcess;
  /** An instant query through the HTTP API; throws on an API error (e.g. bad PromQL). */
  query(expr: string): Promise<PromSample[]>;
  /** Scrape targets and their health, as Prometheus sees them. */
  targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

/** The real `prometheus` binary on a free port with the given config and a throwaway TSDB. */
export async function startPrometheus(configYaml: string): Promise<PrometheusServer> {
  const bin = findBinary('prometheus');
  if (!bin) throw new Error('prometheus is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = new ManagedProcess('prometheus', bin, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`prometheus exited:\n${proc.tail()}`);
        return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
      },
      20_000,
      'prometheus to be ready',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    process: proc,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data!.result;
    },
    async targets() {
      const res = await fetch(`${url}/api/v1/targets`);
      const body = (await res.json()) as { data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] } };
      return body.data.activeTargets;
    },
    stop,
  };
}
