/**
 * The key per-address limits count under, the same whichever transport saw the address:
 * IPv4 as dotted quad (an IPv4-mapped IPv6 address included, in any spelling), IPv6 as its /64
 * prefix, because one subscriber usually holds a whole /64 and could otherwise pick a fresh
 * address for every connection. Anything unparsable counts as itself.
 */
export function addressKey(address: string): string {
  const a = address.trim().replace(/^\[|\]$/g, '');
  if (!a.includes(':')) return a;
  const g = ipv6Groups(a);
  if (!g) return a;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  return `${g.slice(0, 4).map((x) => x.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` and a trailing dotted quad allowed), or null. */
function ipv6Groups(text: string): number[] | null {
  let s = text.replace(/%.*$/, ''); // zone id, e.g. fe80::1%eth0
  const tail: number[] = [];
  const v4 = /(?:^|:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    s = s.slice(0, s.length - v4[0].length + (v4[0].startsWith(':') ? 1 : 0));
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const want = 8 - tail.length;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const h of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(h)) return null;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  if (halves.length === 1) return head.length === want ? [...head, ...tail] : null;
  const zeros = want - head.length - rest.length;
  if (zeros < 1) return null;
  return [...head, ...new Array<number>(zeros).fill(0), ...rest, ...tail];
}
