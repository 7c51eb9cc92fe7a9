import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { startBeamcast, type Beamcast, type Extensions } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { streamKey } from '../../src/core/stream-key.js';
import { freePort } from './free-port.js';
import { TestClient } from './ws-client.js';

export const TEST_SECRET = 'test-secret';

export interface TestServer extends Beamcast {
  wsUrl(room: string, query?: Record<string, string | number>): string;
  httpUrl(path: string): string;
  key(room: string): string;
  /** A broadcaster of `room` with the right key, connected and past its `welcome`. */
  broadcaster(room: string, query?: Record<string, string | number>): Promise<TestClient>;
  stop(): Promise<void>;
}

/** Log lines a test server wrote, parsed, in order (see `captureLog`). */
export interface CapturedLog {
  readonly lines: Record<string, unknown>[];
  readonly logger: Logger;
}

/** A pino logger at `level` whose lines the test can read: pass `logger` to startTestServer. */
export function captureLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

/** A real server on free ports (port 0) with a throwaway data dir; `stop()` closes all of it. */
export async function startTestServer(
  overrides: Partial<Record<keyof Config, string>> = {},
  ext: Extensions = {},
  logger?: Logger,
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'beamcast-test-'));
  const env: Record<string, string> = {
    PORT: '0',
    WS_PORT: '0',
    HOST: '127.0.0.1',
    STREAM_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    MAX_CONNECTIONS_PER_IP: '0',
    CONNECT_RATE: '0',
  };
  const { configSchema } = await import('../../src/config/schema.js');
  for (const [k, v] of Object.entries(overrides)) env[configSchema[k as keyof Config].env] = v!;
  const config = loadConfig({ env, argv: [], envFile: null });
  const log = logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let app: Beamcast;
  try {
    app = await startBeamcast(config, log, ext);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return Object.assign(app, {
    wsUrl(room: string, query: Record<string, string | number> = {}) {
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
      return `ws://127.0.0.1:${app.wsPort}/ws/${room}${qs ? `?${qs}` : ''}`;
    },
    httpUrl(path: string) {
      return `http://127.0.0.1:${app.httpPort}${path}`;
    },
    key(room: string) {
      return streamKey(config.streamSecret, room);
    },
    async broadcaster(room: string, query: Record<string, string | number> = {}) {
      const url = `ws://127.0.0.1:${app.wsPort}/ws/${room}?${new URLSearchParams({ ...query, role: 'broadcaster', key: streamKey(config.streamSecret, room) } as Record<string, string>)}`;
      const cam = await TestClient.connect(url);
      await cam.nextText('welcome');
      return cam;
    },
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * A test server on explicit free ports rather than port 0: uWebSockets.js sets SO_REUSEADDR only
 * when it is given a port, and without it the WebSocket port cannot be bound again while the
 * connections it closed sit in TIME_WAIT (up to 60 s). Use it when a test restarts the server.
 */
export async function startRestartableTestServer(overrides: Partial<Record<keyof Config, string>> = {}, ext: Extensions = {}): Promise<TestServer> {
  return startTestServer({ ...overrides, port: String(await freePort()), wsPort: String(await freePort()) }, ext);
}

/**
 * Stops a server and starts a fresh one on the same ports, as a process restart would: clients
 * must find it where they left it. Start the first one with `startRestartableTestServer`.
 */
export async function restartTestServer(
  old: TestServer,
  overrides: Partial<Record<keyof Config, string>> = {},
  ext: Extensions = {},
  onStopped: () => Promise<void> = async () => {},
): Promise<TestServer> {
  const ports = { port: String(old.httpPort), wsPort: String(old.wsPort) };
  await old.stop();
  await onStopped();
  return startTestServer({ ...overrides, ...ports }, ext);
}
