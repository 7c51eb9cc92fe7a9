/** Keeps the screen on while broadcasting, where the browser supports it; silently does nothing elsewhere. */
export class ScreenWakeLock {
  private lock: WakeLockSentinel | null = null;
  private wanted = false;

  constructor() {
    // The browser releases the lock whenever the page is hidden: ask again on return.
    document.addEventListener('visibilitychange', () => {
      if (this.wanted && document.visibilityState === 'visible') void this.acquire();
    });
  }

  async acquire(): Promise<void> {
    this.wanted = true;
    if (this.lock || !('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
    try {
      this.lock = await navigator.wakeLock.request('screen');
      this.lock.addEventListener('release', () => (this.lock = null));
    } catch {
      this.lock = null; // denied (battery saver, policy): streaming works without it
    }
  }

  release(): void {
    this.wanted = false;
    void this.lock?.release().catch(() => {});
    this.lock = null;
  }
}
