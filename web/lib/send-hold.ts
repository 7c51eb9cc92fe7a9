import { duration } from './format.js';

/** Why the chat box holds a message back: the server's rate, slow mode, or a moderator's mute. */
export type HoldReason = 'rate' | 'slow' | 'muted';

const WORDS: Record<HoldReason, (left: string) => string> = {
  rate: (left) => `Too fast for the server: your message is still in the box, and you can send it again in ${left}.`,
  slow: (left) => `Slow mode: you can send your next message in ${left}; anything you type stays in the box.`,
  muted: (left) => `A moderator muted you: you can send again in ${left}; anything you type stays in the box.`,
};

/**
 * A wait before the chat box may send again, said in words with a countdown. The text in the box
 * stays: the page only refuses to send it too early (the server would refuse it anyway).
 */
export class SendHold {
  /** performance.now() at which sending is allowed again. */
  private until = 0;
  private reason: HoldReason = 'rate';
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly show: (text: string, hideAfterMs: number) => void,
    private readonly hide: () => void,
  ) {}

  get blocked(): boolean {
    return performance.now() < this.until;
  }

  get why(): HoldReason | null {
    return this.blocked ? this.reason : null;
  }

  /** Holds sending for `ms` (the longest of the holds in force wins) and says so. */
  hold(reason: HoldReason, ms: number): void {
    const until = performance.now() + Math.max(0, ms);
    if (until <= this.until && this.blocked) return this.countdown();
    this.until = until;
    this.reason = reason;
    this.countdown();
  }

  /** Ends a hold of this reason early (unmuted, slow mode off). */
  release(reason: HoldReason): void {
    if (this.reason !== reason || !this.blocked) return;
    this.until = 0;
    this.stop();
    this.hide();
  }

  countdown(): void {
    const tick = () => {
      const left = this.until - performance.now();
      if (left <= 0) {
        this.stop();
        this.show('You can send again now.', 3000);
        return;
      }
      this.show(WORDS[this.reason](duration(Math.ceil(left / 1000) * 1000)), 0);
    };
    this.stop();
    tick();
    if (this.blocked) this.timer = setInterval(tick, 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
