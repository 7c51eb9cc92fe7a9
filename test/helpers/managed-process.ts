import { spawn, type ChildProcess } from 'node:child_process';

const MAX_OUTPUT = 1 << 20;

/**
 * A child process started by a test: its output is kept (for assertions and for the failure
 * message), and `stop()` always ends it: SIGTERM, then SIGKILL if it lingers.
 */
export class ManagedProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private listeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (this.stdout.length < MAX_OUTPUT) this.stdout += s;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (this.stderr.length < MAX_OUTPUT) this.stderr += s;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
      });
      // 'close' comes after the output streams are drained.
      this.child.on('close', () => {
        this.notify();
        resolve();
      });
      this.child.on('error', (err) => {
        this.stderr += `\n${String(err)}`;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `pred` holds on the output so far (re-checked on every chunk and at exit). */
  async waitForOutput(pred: (stdout: string, stderr: string) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.stdout, this.stderr)) {
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}) before ${what}\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Ends the process (idempotent) and waits for it. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
    await this.exited;
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 30): string {
    const all = `${this.stdout}\n${this.stderr}`.trim().split('\n');
    return all.slice(-lines).join('\n');
  }

  private notify(): void {
    const l = this.listeners;
    this.listeners = [];
    for (const f of l) f();
  }
}
