// Reads a server's CPU time and memory: from /proc when the load generator started it (exact,
// any process), otherwise from beamcast's Prometheus endpoint (prom-client's default process
// metrics) when there is one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ServerSample {
  cpuSeconds: number | null;
  rssBytes: number | null;
  /** Frames the server reports as skipped (latest-frame-wins), when it exposes such a counter. */
  skippedFrames: number | null;
  /**
   * Seconds the server's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat):
   * time other processes took from it. Only for spawned servers.
   */
  runWaitSeconds?: number | null;
}

/** Second field of /proc/<pid>/schedstat: nanoseconds spent waiting on a run queue. */
export function parseSchedstatWait(text: string): number | null {
  const v = Number(text.trim().split(/\s+/)[1]);
  return Number.isFinite(v) ? v / 1e9 : null;
}

export interface ServerProbe {
  readonly source: 'proc' | 'metrics' | 'none';
  sample(): Promise<ServerSample>;
}

let clockTicks = 0;
function ticksPerSecond(): number {
  if (!clockTicks) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process, in seconds, from /proc/<pid>/stat. */
export function parseProcStatCpu(stat: string, hz: number): number {
  // The command name may contain spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(rest[11]) + Number(rest[12])) / hz;
}

export function parseProcStatusKb(status: string, field: 'VmRSS' | 'VmHWM'): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export function procProbe(pid: number): ServerProbe {
  const hz = ticksPerSecond();
  return {
    source: 'proc',
    async sample() {
      try {
        return {
          cpuSeconds: parseProcStatCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'), hz),
          rssBytes: parseProcStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
          skippedFrames: null,
          runWaitSeconds: readSchedstat(pid),
        };
      } catch {
        return { cpuSeconds: null, rssBytes: null, skippedFrames: null };
      }
    },
  };
}

function readSchedstat(pid: number): number | null {
  try {
    return parseSchedstatWait(readFileSync(`/proc/${pid}/schedstat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Sums the samples of Prometheus text-format metrics whose name passes `match`. */
export function sumMetric(text: string, match: (name: string) => boolean): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !match(m[1]!)) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) {
      sum += v;
      found = true;
    }
  }
  return found ? sum : null;
}

export function parseMetrics(text: string): ServerSample {
  const user = sumMetric(text, (n) => n === 'process_cpu_user_seconds_total');
  const sys = sumMetric(text, (n) => n === 'process_cpu_system_seconds_total');
  return {
    cpuSeconds: user === null || sys === null ? null : user + sys,
    rssBytes: sumMetric(text, (n) => n === 'process_resident_memory_bytes'),
    skippedFrames: sumMetric(text, (n) => /frames?_skipped/.test(n) && !/_(bucket|sum|count|created)$/.test(n)),
  };
}

/** Probe over GET <httpUrl>/metrics; null when the endpoint does not answer with metrics. */
export async function metricsProbe(httpUrl: string): Promise<ServerProbe | null> {
  const url = new URL('/metrics', httpUrl).toString();
  const fetchSample = async (): Promise<ServerSample | null> => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return null;
      return parseMetrics(await res.text());
    } catch {
      return null;
    }
  };
  const first = await fetchSample();
  if (!first || (first.cpuSeconds === null && first.rssBytes === null)) return null;
  return {
    source: 'metrics',
    async sample() {
      return (await fetchSample()) ?? { cpuSeconds: null, rssBytes: null, skippedFrames: null };
    },
  };
}

/** Combines /proc figures with counters only the metrics endpoint has. */
export function combinedProbe(primary: ServerProbe, extra: ServerProbe | null): ServerProbe {
  if (!extra) return primary;
  return {
    source: primary.source,
    async sample() {
      const [a, b] = await Promise.all([primary.sample(), extra.sample()]);
      return { ...a, skippedFrames: b.skippedFrames ?? a.skippedFrames };
    },
  };
}

/** Share of the machine's CPU time that was busy between two readings of /proc/stat. */
export function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3]! + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
