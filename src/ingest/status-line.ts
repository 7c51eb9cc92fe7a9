export interface StatusSample {
  state: 'connecting' | 'live' | 'retrying';
  sent: number;
  dropped: number;
  bytes: number;
  viewers: number | null;
  /** With --tiers: the tiers encoded here, and the bytes of tier frames sent so far. */
  tiers?: readonly string[];
  tierBytes?: number;
}

interface Terminal {
  write(s: string): unknown;
  columns?: number;
}

// Rates are averaged over this window: steady enough to read, quick enough to follow changes.
const RATE_WINDOW_MS = 2000;

/**
 * One line at the bottom of a terminal that redraws in place (carriage return, erase line),
 * with log lines printed above it: what is sent and dropped, the frame and bit rate, viewers.
 */
export class StatusLine {
  private samples: { at: number; sent: number; bytes: number; tierBytes: number }[] = [];
  private shown = '';

  constructor(private readonly term: Terminal) {}

  /** A log line above the status line. */
  log(line: string): void {
    this.term.write(`\r\x1b[K${line}\n${this.shown}`);
  }

  update(s: StatusSample, now = performance.now()): void {
    this.samples.push({ at: now, sent: s.sent, bytes: s.bytes, tierBytes: s.tierBytes ?? 0 });
    while (this.samples.length > 2 && this.samples[1]!.at <= now - RATE_WINDOW_MS) this.samples.shift();
    this.shown = fitTo(formatStatus(s, this.samples), this.term.columns);
    this.term.write(`\r\x1b[K${this.shown}`);
  }

  /** Leaves the last status on its own line, so what follows starts on a fresh one. */
  end(): void {
    if (this.shown) this.term.write('\n');
    this.shown = '';
  }
}

export function formatStatus(s: StatusSample, samples: readonly { at: number; sent: number; bytes: number; tierBytes?: number }[]): string {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const secs = first && last && last.at > first.at ? (last.at - first.at) / 1000 : 0;
  const fps = secs > 0 ? (last!.sent - first!.sent) / secs : 0;
  const kbps = secs > 0 ? ((last!.bytes - first!.bytes) * 8) / 1000 / secs : 0;
  const state = s.state === 'live' ? 'live' : s.state === 'retrying' ? 'reconnecting' : 'connecting';
  const viewers = s.viewers === null ? '– viewers' : `${s.viewers} viewer${s.viewers === 1 ? '' : 's'}`;
  const line = `${state} · sent ${s.sent} · dropped ${s.dropped} · ${fps.toFixed(1)} fps · ${Math.round(kbps)} kbit/s · ${viewers}`;
  if (!s.tiers) return line;
  const tierKbps = secs > 0 ? (((last!.tierBytes ?? 0) - (first!.tierBytes ?? 0)) * 8) / 1000 / secs : 0;
  return `${line} · tiers ${s.tiers.length ? `${s.tiers.join(',')} +${Math.round(tierKbps)} kbit/s` : 'none'}`;
}

function fitTo(line: string, columns: number | undefined): string {
  // A line wider than the terminal wraps, and the carriage return would then redraw only its tail.
  return columns && line.length >= columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}
