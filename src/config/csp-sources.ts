// A CSP source list from configuration (FRAME_ANCESTORS): keywords may be written with or without
// their quotes (quotes are awkward in .env files); anything that could break out of the header
// (;, quotes, control characters) is refused at start.

const KEYWORDS = new Set(['self', 'none']);
// scheme-source (https:) or host-source ([scheme://]host[:port][/path]), as CSP defines them.
const SCHEME = /^[a-z][a-z0-9+.-]*:$/i;
const HOST = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(?:\d{1,5}|\*))?(?:\/[\w\-./~%]*)?$/i;

export function parseCspSources(raw: string): string[] {
  const tokens = raw
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.length === 0) throw new Error("must list at least one source, e.g. 'self'");
  const out = tokens.map((t) => {
    const bare = t.replace(/^'(.*)'$/, '$1').toLowerCase();
    if (KEYWORDS.has(bare)) return `'${bare}'`;
    if (SCHEME.test(t) || HOST.test(t)) return t;
    throw new Error(`must be 'self', 'none', schemes (https:) or hosts (https://example.org); ${JSON.stringify(t)} is none of these`);
  });
  if (out.includes("'none'") && out.length > 1) throw new Error("must not combine 'none' with other sources");
  return out;
}
