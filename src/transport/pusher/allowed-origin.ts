// An app's allowed_origins, with both forms in use: full origins (https://app.example.org, as
// beamcast's ALLOWED_ORIGINS) and Reverb's host patterns (app.example.org, *.example.org, where
// * stands for any run of characters), plus '*' for any origin.

export type OriginCheck = (origin: string | undefined | null) => boolean;

/**
 * Compiles a list once (per app, at boot) into a check for WebSocket upgrades. Non-browser
 * clients send no Origin and are let through: the check protects browser users from other
 * sites, and a non-browser client could send any Origin it liked anyway.
 */
export function originMatcher(allowed: readonly string[]): OriginCheck {
  if (allowed.includes('*')) return () => true;
  const origins = new Set<string>();
  const hostPatterns: RegExp[] = [];
  const hostPortPatterns: RegExp[] = [];
  for (const entry of allowed) {
    if (entry.includes('://')) {
      const o = originOf(entry);
      if (o) origins.add(o);
    } else {
      (entry.includes(':') ? hostPortPatterns : hostPatterns).push(glob(entry.toLowerCase()));
    }
  }
  return (origin) => {
    if (!origin) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (origins.has(url.origin)) return true;
    const host = url.hostname.toLowerCase();
    if (hostPatterns.some((re) => re.test(host))) return true;
    const hostPort = url.port ? `${host}:${url.port}` : host;
    return hostPortPatterns.some((re) => re.test(hostPort));
  };
}

export function originAllowed(allowed: readonly string[], origin: string | undefined | null): boolean {
  return originMatcher(allowed)(origin);
}

function originOf(s: string): string | null {
  try {
    return new URL(s).origin;
  } catch {
    return null;
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
}
