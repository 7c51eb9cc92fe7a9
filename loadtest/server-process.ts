// One server process under test, started the same way for every target so that their CPU and
// memory compare fairly: `node --expose-gc --import gc-on-signal.mjs [nodeArgs] <args>`.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './bundle.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Last lines the process printed, for error messages. */
  output(): string;
  /** Full garbage collection in the server, before memory is sampled. */
  collectGarbage(): Promise<void>;
  /** SIGTERM, then SIGKILL after 6 s; resolves once it exited. */
  stop(): Promise<void>;
}

export function spawnServerProcess(args: readonly string[], opts: { cwd: string; env: Record<string, string>; nodeArgs?: readonly string[] }): ServerProcess {
  const gcHook = pathToFileURL(join(ROOT, 'loadtest', 'gc-on-signal.mjs')).href;
  const child = spawn(process.execPath, ['--expose-gc', '--import', gcHook, ...(opts.nodeArgs ?? []), ...args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => lines.join('\n'),
    async collectGarbage() {
      if (child.exitCode === null) child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 300));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
