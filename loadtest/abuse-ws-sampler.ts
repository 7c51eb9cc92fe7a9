// Once a second, what the spawned server costs: RSS and CPU from /proc, bytes queued for slow
// WebSocket clients and event-loop delay from its /metrics (prom-client resets its event-loop
// histogram at every scrape, so each sample covers the second before it), and the machine's
// kernel TCP memory. A scrape that does not answer within the timeout is itself a figure.
import { readFileSync } from 'node:fs';
import { procProbe, sumMetric } from './server-probe.js';

export interface Sample {
  at: number;
  rssBytes: number | null;
  cpuSeconds: number | null;
  bufferedBytes: number | null;
  eventLoopMeanMs: number | null;
  eventLoopMaxMs: number | null;
  kernelTcpBytes: number | null;
  /** beamcast_connections_closed_total by reason (all roles), since the server started; null when not scraped. */
  closedByReason: Record<string, number> | null;
  scrapeMs: number;
  scrapeFailed: boolean;
}

/** Bytes the kernel holds for TCP sockets, machine-wide (the `mem` pages of /proc/net/sockstat). */
export function kernelTcpBytes(): number | null {
  try {
    const m = /^TCP:.*\bmem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
    return m ? Number(m[1]) * 4096 : null;
  } catch {
    return null;
  }
}

/** Sums beamcast_connections_closed_total over roles, by its `reason` label. */
export function closedByReason(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^beamcast_connections_closed_total\{([^}]*)\} (\S+)$/gm)) {
    const reason = /reason="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    out[reason] = (out[reason] ?? 0) + Number(m[2]);
  }
  return out;
}

export class ServerSampler {
  readonly samples: Sample[] = [];
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly pid: number,
    private readonly metricsUrl: string,
    private readonly intervalMs = 1000,
    private readonly timeoutMs = 5000,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      // The first scrape only resets the server's event-loop histogram.
      await this.sample();
      this.samples.length = 0;
      while (this.running) {
        const next = Date.now() + this.intervalMs;
        this.samples.push(await this.sample());
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async sample(): Promise<Sample> {
    const t0 = Date.now();
    let text: string | null = null;
    try {
      const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(this.timeoutMs) });
      text = res.ok ? await res.text() : null;
    } catch {
      text = null;
    }
    const proc = await procProbe(this.pid).sample();
    const metric = (name: string) => (text === null ? null : sumMetric(text, (n) => n === name));
    const ms = (s: number | null) => (s === null ? null : s * 1000);
    return {
      at: Date.now(),
      rssBytes: proc.rssBytes,
      cpuSeconds: proc.cpuSeconds,
      bufferedBytes: metric('beamcast_ws_buffered_bytes'),
      eventLoopMeanMs: ms(metric('nodejs_eventloop_lag_mean_seconds')),
      eventLoopMaxMs: ms(metric('nodejs_eventloop_lag_max_seconds')),
      kernelTcpBytes: kernelTcpBytes(),
      closedByReason: text === null ? null : closedByReason(text),
      scrapeMs: Date.now() - t0,
      scrapeFailed: text === null,
    };
  }
}
