import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './managed-process.js';
import { ensureBuilt } from './ensure-built.js';
import { TEST_SECRET } from './test-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_ENTRY = join(ROOT, 'dist', 'server', 'main.js');

export interface BeamcastProcess {
  readonly process: ManagedProcess;
  readonly httpPort: number;
  readonly wsPort: number;
  httpUrl(path: string): string;
  /** Log lines parsed as JSON (stdout; throws if one is not JSON). */
  logLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * The built server (`dist/server/main.js`, as `npm start` and the Docker image run it) as a
 * child process on free ports, on the same ManagedProcess as nginx and prometheus: all output
 * kept (stderr too, for the no-secrets checks), stopped with SIGTERM as an orchestrator would.
 * Ports are read from the JSON "beamcast is up" log line, so this needs JSON logs.
 */
export async function startBeamcastProcess(env: Record<string, string> = {}): Promise<BeamcastProcess> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-proc-'));
  const proc = new ManagedProcess('beamcast', process.execPath, [SERVER_ENTRY], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      WS_PORT: '0',
      HOST: '127.0.0.1',
      STREAM_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      MAX_CONNECTIONS_PER_IP: '0',
      CONNECT_RATE: '0',
      ...env,
    },
  });
  const logLines = () =>
    proc.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const stop = async () => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await proc.waitForOutput((out) => out.includes('"beamcast is up"'), 15_000, 'the "beamcast is up" log line');
  } catch (err) {
    await stop();
    throw err;
  }
  const up = logLines().find((l) => l.msg === 'beamcast is up')!;
  const httpPort = Number(up.httpPort);
  const wsPort = Number(up.wsPort);
  return {
    process: proc,
    httpPort,
    wsPort,
    httpUrl: (path) => `http://127.0.0.1:${httpPort}${path}`,
    logLines,
    stop,
  };
}
