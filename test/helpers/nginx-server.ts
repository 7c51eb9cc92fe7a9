import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { waitFor } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

export interface NginxServer {
  readonly port: number;
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * The real `nginx` binary with a site config (a `server` block plus what surrounds it) inside a
 * minimal main config. Everything it writes (pid, logs, temp files) goes to a temp prefix, and it
 * runs as one foreground process (no master/worker split), so it works as root or not.
 */
export async function startNginx(siteConf: string, port: number): Promise<NginxServer> {
  const bin = findBinary('nginx');
  if (!bin) throw new Error('nginx is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'site.conf'), siteConf);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 512; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  include ${join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  // -e: errors before the config is read go to stderr, not to the packaged /var/log path.
  const proc = new ManagedProcess('nginx', bin, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr']);
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`nginx exited:\n${proc.tail()}`);
        return (await canConnect(port)) ? true : undefined;
      },
      10_000,
      'nginx to listen',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url: `http://127.0.0.1:${port}`, process: proc, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
