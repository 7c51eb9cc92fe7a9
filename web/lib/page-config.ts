import type { Limits } from '../../src/protocol/index.js';

/** What `GET /api/config` tells a page. */
export interface PageConfig {
  protocol: number;
  /** Public WebSocket base (behind a proxy), or null: same hostname on `wsPort`. */
  wsUrl: string | null;
  wsPort: number;
  qualities: string[];
  limits: Limits;
}

export async function fetchPageConfig(): Promise<PageConfig> {
  const res = await fetch('/api/config', { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /api/config answered ${res.status}`);
  return (await res.json()) as PageConfig;
}

/**
 * The socket URL of a room. `wsUrl` may be a bare origin (`wss://host`), carry a path prefix
 * (`wss://host/cam`), already end in `/ws`, or be a path on this host (`/live`): `/ws/:room` is
 * appended in every case except the last `/ws`, which only gets `/:room`.
 */
export function roomSocketUrl(cfg: Pick<PageConfig, 'wsUrl' | 'wsPort'>, room: string, query: Record<string, string>, loc: Location | URL = location): string {
  const secure = loc.protocol === 'https:';
  let base: URL;
  if (cfg.wsUrl) {
    base = new URL(cfg.wsUrl, loc.href);
    if (base.protocol === 'https:') base.protocol = 'wss:';
    else if (base.protocol === 'http:') base.protocol = 'ws:';
  } else {
    base = new URL(`${secure ? 'wss' : 'ws'}://${hostForUrl(loc.hostname)}:${cfg.wsPort}/`);
  }
  let path = base.pathname.replace(/\/+$/, '');
  path += path.endsWith('/ws') ? `/${encodeURIComponent(room)}` : `/ws/${encodeURIComponent(room)}`;
  base.pathname = path;
  base.search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  base.hash = '';
  return base.toString();
}

function hostForUrl(hostname: string): string {
  return hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
}
