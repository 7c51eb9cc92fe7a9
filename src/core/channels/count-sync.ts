import type { CountChange } from '../broker/channel-bus.js';

/**
 * One absolute count this node reports to the bus (its subscribers of a channel; a user's
 * connections in a presence channel). Reports go out one at a time, in order, and coalesce: while
 * one is in flight, later values replace each other and only the newest goes next. The bus thus
 * sees this node's counts in the order they happened, and `onChange` gets the cluster-wide
 * before/after of every report, from which the caller derives transitions (first, last).
 */
export class CountSync {
  private target = 0;
  private sent = 0;
  private running: Promise<void> | null = null;
  /** A report failed (the bus was down): the count must be sent again, even if unchanged. */
  private stale = false;

  constructor(
    private readonly send: (count: number) => Promise<CountChange>,
    private readonly onChange: (change: CountChange) => void,
  ) {}

  get value(): number {
    return this.target;
  }

  /** Nothing in flight and the bus has the current count. */
  get idle(): boolean {
    return this.running === null && this.target === this.sent && !this.stale;
  }

  /** Sets the count; resolves once it (or a newer one) is reported; rejects when reporting failed. */
  set(count: number): Promise<void> {
    this.target = count;
    return this.kick();
  }

  /** Reports the count again, even if unchanged (after a bus outage). */
  resync(): Promise<void> {
    if (this.target === 0 && this.sent === 0 && !this.stale) return Promise.resolve();
    this.stale = true;
    return this.kick();
  }

  private kick(): Promise<void> {
    if (this.running) return this.running;
    if (this.target === this.sent && !this.stale) return Promise.resolve();
    const run = this.loop().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async loop(): Promise<void> {
    while (this.target !== this.sent || this.stale) {
      const count = this.target;
      this.stale = false;
      let change: CountChange;
      try {
        change = await this.send(count);
      } catch (err) {
        this.stale = true;
        throw err;
      }
      this.sent = count;
      this.onChange(change);
    }
  }
}
