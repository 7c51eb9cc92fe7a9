import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, skipWithout } from './binaries.js';
import { CERT_DIR_PLACEHOLDER, repoFile } from './deploy-files.js';
import { waitFor } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

export interface NginxServer {
  readonly port: number;
  readonly url: string;
  /** Where its TLS certificate is (beamcast.crt, beamcast.key), when the site has one. */
  readonly certDir: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** Why nginx tests cannot run here (nginx, and openssl for the certificate its HTTPS server needs), or false. */
export const nginxSkip = (): false | string => skipWithout('nginx', 'nginx-light') || skipWithout('openssl', 'openssl');

/**
 * Makes the site's certificate with the shipped script, as the compose nginx does at its first
 * start (self-signed, for localhost, 127.0.0.1 and `names`).
 */
export function makeCertificate(certDir: string, names: readonly string[] = []): void {
  const r = spawnSync('sh', [repoFile('deploy/nginx/self-signed-cert.sh')], {
    env: { PATH: process.env.PATH ?? '', BEAMCAST_CERT_DIR: certDir, TLS_NAMES: names.join(',') },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`deploy/nginx/self-signed-cert.sh failed:\n${r.stdout}${r.stderr}`);
}

/**
 * The real `nginx` binary with a site config (a `server` block plus what surrounds it) inside a
 * minimal main config. Everything it writes (pid, logs, temp files) goes to a temp prefix, and it
 * runs as one foreground process (no master/worker split), so it works as root or not. A site
 * that expects a certificate (CERT_DIR_PLACEHOLDER) gets one made by the shipped script, for
 * `tlsNames` besides localhost.
 */
export async function startNginx(siteConf: string, port: number, opts: { tlsNames?: readonly string[] } = {}): Promise<NginxServer> {
  const bin = findBinary('nginx');
  if (!bin) throw new Error('nginx is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'beamcast-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const certDir = join(dir, 'certs');
  if (siteConf.includes(CERT_DIR_PLACEHOLDER)) {
    try {
      makeCertificate(certDir, opts.tlsNames);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  writeFileSync(join(dir, 'site.conf'), siteConf.split(CERT_DIR_PLACEHOLDER).join(certDir));
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
  return { port, url: `http://127.0.0.1:${port}`, certDir, process: proc, stop };
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
