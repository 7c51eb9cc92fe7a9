import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root, and files under it. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const repoFile = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const readRepoFile = (path: string): string => readFileSync(repoFile(path), 'utf8');

/**
 * Replaces each `from` exactly once (or every time with `all`), and fails loudly when a deploy
 * file no longer contains what the test substitutes, instead of silently testing something else.
 */
export function substitute(text: string, pairs: readonly (readonly [string, string])[], what: string): string {
  let out = text;
  for (const [from, to] of pairs) {
    const n = out.split(from).length - 1;
    if (n < 1) throw new Error(`${what} no longer contains ${JSON.stringify(from)}: update the test's substitutions`);
    out = out.split(from).join(to);
  }
  return out;
}

/** Every PromQL expression of a Grafana dashboard (panels, nested rows included). */
export function dashboardExpressions(dashboard: unknown): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  const walk = (node: unknown, panel: string) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, panel));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const title = typeof o.title === 'string' && Array.isArray(o.targets) ? o.title : panel;
    if (typeof o.expr === 'string') out.push({ panel: title, expr: o.expr });
    for (const v of Object.values(o)) walk(v, title);
  };
  walk(dashboard, '');
  return out;
}

export interface NodePorts {
  readonly httpPort: number;
  readonly wsPort: number;
}

/** Where the site config expects its TLS certificate: startNginx makes one there (see CERT_DIR_PLACEHOLDER). */
export const CERT_DIR_PLACEHOLDER = '__BEAMCAST_CERT_DIR__';

export interface SiteOptions {
  /** nginx's access log (default: nowhere) instead of the image's /var/log/nginx. */
  accessLog?: string;
  /** HTTPS on this port of 127.0.0.1; without it, on a Unix socket nobody uses (the server block still needs its certificate). */
  tlsPort?: number;
}

/**
 * deploy/nginx/beamcast.conf balancing over these nodes instead of the compose service's
 * replicas (its "resolve" needs a newer nginx than Debian's, and Docker's DNS), listening on
 * `listenPort` instead of 80 and on `tlsPort` instead of 443, with its certificate in the
 * directory startNginx makes one in. Everything else is the shipped file.
 */
export function nginxClusterSiteFor(nodes: readonly NodePorts[], listenPort: number, opts: SiteOptions | string = {}): string {
  const o: SiteOptions = typeof opts === 'string' ? { accessLog: opts } : opts;
  const site = 'deploy/nginx/beamcast.conf';
  const servers = (port: keyof NodePorts) => nodes.map((n) => `server 127.0.0.1:${n[port]};`).join('\n    ');
  return substitute(
    readRepoFile(site),
    [
      ['server beamcast:8080 resolve;', servers('httpPort')],
      ['server beamcast:8081 resolve;', servers('wsPort')],
      ['listen 80;', `listen 127.0.0.1:${listenPort};`],
      ['listen 443 ssl;', o.tlsPort ? `listen 127.0.0.1:${o.tlsPort} ssl;` : `listen unix:${CERT_DIR_PLACEHOLDER}/tls.sock ssl;`],
      ['/etc/nginx/certs/', `${CERT_DIR_PLACEHOLDER}/`],
      ['access_log /var/log/nginx/access.log beamcast_nokeys;', `access_log ${o.accessLog ?? '/dev/null'} beamcast_nokeys;`],
    ],
    site,
  );
}

/** deploy/nginx/beamcast.conf in front of one node. */
export function nginxSiteFor(httpPort: number, wsPort: number, listenPort: number, opts: SiteOptions | string = {}): string {
  return nginxClusterSiteFor([{ httpPort, wsPort }], listenPort, opts);
}
