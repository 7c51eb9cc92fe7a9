import { el } from './dom.js';
import type { TierEncoder } from './tier-encoder.js';

const kbit = (bps: number) => `${Math.round(bps / 1000)} kbit/s`;

/**
 * The camera page's tier line: which tiers this device encodes for the server and what each
 * costs it (encode ms per frame, upstream kbit/s), and which ones it gave up (the server makes
 * them). Hidden while not live.
 */
export function renderTierStats(box: HTMLElement, tiers: TierEncoder | null): void {
  if (!tiers) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const parts: (string | HTMLElement)[] = [];
  const stats = tiers.stats();
  if (stats.length === 0) {
    parts.push('Tiers: none encoded here');
  } else {
    parts.push('Tiers encoded here: ');
    stats.forEach((t, i) => {
      if (i > 0) parts.push('; ');
      const width = t.width ? ` ${t.width} px` : '';
      const ms = t.ms === null ? '–' : `${t.ms.toFixed(1)} ms`;
      parts.push(el('strong', '', t.name), `${width} · ${ms} · ${kbit(t.bitsPerSecond)}`);
    });
    parts.push(` (+${kbit(tiers.bitsPerSecond())} upstream)`);
  }
  const dropped = tiers.budget.droppedTiers;
  if (dropped.length > 0) parts.push(` · too slow here, made by the server: ${dropped.join(', ')}`);
  box.replaceChildren(...parts);
  box.title = 'Quality tiers viewers watch are encoded on this device from the same picture and sent beside the source, so the server only relays them';
}
