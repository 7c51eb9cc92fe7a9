/** One recompressed quality tier: frames at most `maxWidth` px wide, JPEG `quality` 1–100. */
export class TierSpec {
  constructor(
    readonly name: string,
    readonly maxWidth: number,
    readonly quality: number,
  ) {
    Object.freeze(this);
  }

  /** The config syntax, so `--help` and logs show tiers as they are written. */
  toString(): string {
    return `${this.name}:${this.maxWidth}:${this.quality}`;
  }
}

const TIER_NAME = /^[a-z][a-z0-9_-]{0,15}$/;

/**
 * Parses `name:maxWidth:quality,...` (e.g. `sd:640:60,thumb:160:50`); empty means no tiers
 * besides `source`. Throws an Error whose message completes "must be ...".
 */
export function parseQualityTiers(raw: string): TierSpec[] {
  const tiers: TierSpec[] = [];
  const text = raw.trim();
  if (text === '' || text === 'none') return tiers;
  for (const item of text.split(',')) {
    const parts = item.trim().split(':');
    const [name = '', w = '', q = ''] = parts;
    const maxWidth = Number(w);
    const quality = Number(q);
    if (
      parts.length !== 3 ||
      !TIER_NAME.test(name) ||
      !/^\d+$/.test(w) ||
      !/^\d+$/.test(q) ||
      maxWidth < 16 ||
      maxWidth > 8192 ||
      quality < 1 ||
      quality > 100
    ) {
      throw new Error(`a comma-separated list of name:maxWidth:quality (name a-z0-9_-, width 16-8192, quality 1-100), e.g. sd:640:60`);
    }
    if (name === 'source' || tiers.some((t) => t.name === name)) throw new Error(`a list of distinct tier names other than "source"`);
    tiers.push(new TierSpec(name, maxWidth, quality));
  }
  return tiers;
}
