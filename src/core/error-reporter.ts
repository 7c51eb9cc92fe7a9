import { ErrorCodes, type ErrorCode, type ErrorMessage } from '../protocol/index.js';

// At most one `error` per code per interval; the rest are counted into `dropped`.
export const ERROR_INTERVAL_MS = 1000;

interface CodeState {
  at: number;
  dropped: number;
  /** When the restriction behind the latest refusal ends (MUTED, SLOW_MODE), if it has one. */
  until?: number;
}

/**
 * Tells one connection about its refused messages without letting a flood of refusals become a
 * flood of replies: at most one `error` per code per second. Every refusal is still accounted
 * for: an `error` stands for one refusal plus `dropped` earlier ones that were held back, and
 * whatever is held back when a flood stops goes out in a trailing `error` once the interval has
 * passed. One timer per connection, only while something is held back; `dispose` clears it.
 */
export class ErrorReporter {
  private readonly codes = new Map<ErrorCode, CodeState>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly send: (msg: ErrorMessage) => void) {}

  report(code: ErrorCode, now: number, until?: number): void {
    let st = this.codes.get(code);
    if (!st) {
      st = { at: 0, dropped: 0 };
      this.codes.set(code, st);
    }
    st.until = until;
    if (now - st.at < ERROR_INTERVAL_MS) {
      st.dropped++;
      this.schedule(st.at + ERROR_INTERVAL_MS - now);
      return;
    }
    this.emit(code, st, st.dropped, now);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private emit(code: ErrorCode, st: CodeState, dropped: number, now: number): void {
    const msg: ErrorMessage = { type: 'error', code, message: ErrorCodes[code].message };
    if (dropped > 0) msg.dropped = dropped;
    if (st.until !== undefined) msg.until = st.until;
    st.at = now;
    st.dropped = 0;
    this.send(msg);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, delayMs));
    this.timer.unref();
  }

  /** Sends what is held back for every code whose interval has passed; waits again for the rest. */
  private flush(): void {
    this.timer = null;
    const now = Date.now();
    let wait = Infinity;
    for (const [code, st] of this.codes) {
      if (st.dropped === 0) continue;
      const left = st.at + ERROR_INTERVAL_MS - now;
      // The trailing error stands for the last refusal held back; `dropped` for the others.
      if (left <= 0) this.emit(code, st, st.dropped - 1, now);
      else wait = Math.min(wait, left);
    }
    if (wait !== Infinity) this.schedule(wait);
  }
}
