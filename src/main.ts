import { startBeamcast } from './app.js';
import { ConfigError, configHelp, loadConfig } from './config/load-config.js';
import { loadPusherApps, type LoadedPusherApps } from './config/pusher-apps/load-pusher-apps.js';
import { laravelEnvBlock, pusherEndpoints, pusherJsSnippet } from './transport/pusher/client-setup.js';
import { streamKey } from './core/stream-key.js';
import { createLogger } from './logging/create-logger.js';
import { createMetrics } from './metrics/create-metrics.js';

// Shutdown must finish within this, or the process exits anyway (orchestrators wait ~10 s).
const SHUTDOWN_DEADLINE_MS = 4500;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(configHelp());
    return;
  }
  let config;
  let apps: LoadedPusherApps;
  try {
    // The only place that reads process.env: everything else gets the frozen config.
    config = loadConfig({ env: process.env, argv, envFile: '.env' });
    apps = loadPusherApps(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`beamcast: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config);
  // Prometheus: the core reports domain events to the telemetry; GET /metrics serves them.
  const metrics = createMetrics({
    qualities: ['source', ...config.qualityTiers.map((t) => t.name)],
    roomLabels: config.metricsRoomLabels,
  });
  for (const warning of apps.warnings) log.warn({ file: apps.file }, warning);
  const app = await startBeamcast(config, log, { telemetry: metrics.telemetry, http: metrics.http, pusherApps: apps.apps, pusherTelemetry: metrics.pusher });
  metrics.watchSockets(app.ws);
  metrics.watchPusher(app.pusher);

  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = config.publicUrl.replace(/\/+$/, '') || `http://${shown}:${app.httpPort}`;
  log.info({ http: base, ws: `ws://${shown}:${app.wsPort}/ws/:room`, httpPort: app.httpPort, wsPort: app.wsPort }, 'beamcast is up');
  // The one stream key ever logged: the demo room's, once, so a first run is one click away.
  // Deployments that must keep every key out of their logs set DEMO_ROOM= (empty).
  if (config.demoRoom) {
    const key = streamKey(app.secret.secret, config.demoRoom);
    log.info(
      { home: `${base}/`, camera: `${base}/camera?room=${config.demoRoom}&key=${key}`, viewer: `${base}/viewer/${config.demoRoom}` },
      `open the camera link to broadcast to room "${config.demoRoom}", the viewer link to watch`,
    );
  }

  logPusherApps(log, apps, { host: config.host, httpPort: app.httpPort, wsPort: app.wsPort, publicUrl: config.publicUrl, publicWsUrl: config.publicWsUrl });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.warn('shutdown deadline passed, exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS + config.drainSeconds * 1000);
    deadline.unref();
    app.close().then(
      () => {
        log.info('stopped');
        log.flush?.();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Which Pusher apps are served; for the default app, what to paste into a Laravel app and a page
 * (its secret included: the one place a secret is logged, as the demo room's key is the one key).
 */
function logPusherApps(log: ReturnType<typeof createLogger>, apps: LoadedPusherApps, where: Parameters<typeof pusherEndpoints>[0]): void {
  const endpoints = pusherEndpoints(where);
  const ws = `${endpoints.ws.scheme === 'https' ? 'wss' : 'ws'}://${endpoints.ws.host}:${endpoints.ws.port}/app/:key`;
  log.info({ apps: apps.apps.map((a) => a.id), source: apps.source, file: apps.file ?? undefined, ws }, 'serving the Pusher protocol');
  if (apps.source !== 'default') return;
  const app = apps.apps[0]!;
  log.info({ file: apps.file }, apps.generated ? 'no Pusher app configured: generated one and saved it' : 'using the Pusher app saved earlier');
  log.info({ paste: 'laravel-env' }, laravelEnvBlock(app, endpoints));
  log.info({ paste: 'pusher-js' }, pusherJsSnippet(app, endpoints));
}

main().catch((err: unknown) => {
  process.stderr.write(`beamcast: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
