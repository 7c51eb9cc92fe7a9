// The runs one command asks for: every target (--compare), node count (--compare-nodes) and
// viewer count (--compare-viewers), in that order; the first is the reference of the table.
import type { TargetName } from './dialect.js';
import type { LoadtestOptions } from './options.js';

export interface Variant {
  target: TargetName;
  nodes: number;
  viewers: number;
  /** Names the run in tables: the target, plus what varies between runs. */
  label: string;
}

export function scenarioVariants(o: LoadtestOptions): Variant[] {
  const targets = [o.target, ...o.compare.filter((t) => t !== o.target)];
  const nodeCounts = o.compareNodes.length ? o.compareNodes : [o.nodes];
  const viewerCounts = o.compareViewers.length ? o.compareViewers : [o.viewers];
  const out: Variant[] = [];
  for (const target of targets) {
    for (const nodes of nodeCounts) {
      for (const viewers of viewerCounts) {
        const parts: string[] = [target];
        if (nodeCounts.length > 1 || nodes > 1) parts.push(nodes === 1 ? '1 node' : `${nodes} nodes`);
        if (viewerCounts.length > 1) parts.push(`${viewers} viewers`);
        out.push({ target, nodes, viewers, label: parts.join(' ') });
      }
    }
  }
  return out;
}

/** The options of one variant's run. */
export function variantOptions(o: LoadtestOptions, v: Variant): LoadtestOptions {
  return { ...o, target: v.target, nodes: v.nodes, viewers: v.viewers };
}
