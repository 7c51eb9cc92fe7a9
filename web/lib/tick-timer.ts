// Dedicated workers keep their timers running at the asked rate in background tabs, where the
// page's own setInterval is slowed to once a second or less.
const WORKER_SOURCE = 'let t=null;onmessage=(e)=>{clearInterval(t);t=e.data>0?setInterval(()=>postMessage(0),e.data):null};';

/** A repeating tick that keeps its pace when the tab is hidden, as far as the browser allows. */
export class TickTimer {
  private worker: Worker | null = null;
  private fallback: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly onTick: () => void) {
    try {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      this.worker = new Worker(url);
      URL.revokeObjectURL(url);
      this.worker.onmessage = () => this.onTick();
    } catch {
      this.worker = null; // e.g. a Content-Security-Policy without blob: workers
    }
  }

  start(intervalMs: number): void {
    this.stop();
    if (this.worker) this.worker.postMessage(intervalMs);
    else this.fallback = setInterval(this.onTick, intervalMs);
  }

  stop(): void {
    this.worker?.postMessage(0);
    if (this.fallback) clearInterval(this.fallback);
    this.fallback = null;
  }
}
