// `npm run loadtest -- --scenario pusher ...`: the Pusher scenario against one target, or against
// beamcast and the baselines side by side, round after round in rotating order.
import { writeFileSync } from 'node:fs';
import { OptionsError } from './options.js';
import { parsePusherOptions } from './pusher-options.js';
import { formatPusherBrief, formatPusherCompare, formatPusherReport, pusherCompareRows, type PusherReport } from './pusher-report.js';
import { runPusherScenario } from './pusher-run.js';
import { soketiInstalled } from './pusher-targets.js';

export interface ProgressLine {
  progress(line: string): void;
  end(): void;
}

export async function pusherMain(argv: string[], line: (enabled: boolean) => ProgressLine): Promise<number> {
  const o = parsePusherOptions(argv);
  const { progress, end } = line(o.progress);
  const targets = [o.target, ...o.compare.filter((t) => t !== o.target)];
  if (targets.includes('soketi') && !soketiInstalled()) throw new OptionsError('soketi is not installed: npm run baseline:soketi:install');
  const groups: PusherReport[][] = targets.map(() => []);
  const runs: PusherReport[] = [];
  for (let round = 0; round < o.rounds; round++) {
    // Later rounds rotate the order, so that no target always runs first (or last) on a drifting machine.
    for (let k = 0; k < targets.length; k++) {
      const i = (k + round) % targets.length;
      const report = await runPusherScenario(o, targets[i]!, { progress });
      end();
      groups[i]!.push(report);
      runs.push(report);
      process.stdout.write(o.rounds > 1 ? `round ${round + 1}: ${formatPusherBrief(report)}\n` : `${formatPusherReport(report)}\n\n`);
    }
  }
  if (targets.length > 1) {
    const how = o.rounds > 1 ? `medians (and ranges) of ${o.rounds} rounds; ratios taken within each round` : 'one run each';
    process.stdout.write(`\nSide by side (${how}, one target after the other):\n${formatPusherCompare(groups)}\n`);
  }
  if (o.json) {
    const out = runs.length > 1 ? { command: argv, runs, compare: pusherCompareRows(groups) } : { command: argv, ...runs[0]! };
    writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
  }
  return 0;
}
