// `npm run loadtest -- ...`: one scenario, or the same scenario against beamcast and baselines.
import { writeFileSync } from 'node:fs';
import { HELP, OptionsError, parseOptions } from './options.js';
import { pusherMain, type ProgressLine } from './pusher-cli.js';
import { isPusherScenario, PUSHER_HELP } from './pusher-options.js';
import { compareRows, formatBrief, formatCompare, formatReport, type Report } from './report.js';
import { runScenario } from './run.js';
import { scenarioVariants, variantOptions } from './variants.js';

/** The live status line: rewritten in place on a terminal, else one line every 5 s. */
function progressLine(enabled: boolean): ProgressLine {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return {
    progress(line: string) {
      if (!enabled) return;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
    end() {
      if (enabled && tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let o;
  try {
    if (isPusherScenario(argv)) {
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(PUSHER_HELP);
        return 0;
      }
      return await pusherMain(argv, progressLine);
    }
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(HELP);
      return 0;
    }
    o = parseOptions(argv);
  } catch (err) {
    if (err instanceof OptionsError) {
      process.stderr.write(`loadtest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { progress, end: endProgress } = progressLine(o.progress);

  const variants = scenarioVariants(o);
  const labels = variants.map((v) => v.label);
  const groups: Report[][] = variants.map(() => []);
  const runs: Report[] = [];
  const runLabels: string[] = [];
  for (let round = 0; round < o.rounds; round++) {
    // Later rounds rotate the order, so that no variant always runs first (or last) in a drifting machine.
    for (let k = 0; k < variants.length; k++) {
      const i = (k + round) % variants.length;
      const report = await runScenario(variantOptions(o, variants[i]!), variants[i]!.target, { progress });
      endProgress();
      groups[i]!.push(report);
      runs.push(report);
      runLabels.push(labels[i]!);
      process.stdout.write(o.rounds > 1 ? `round ${round + 1}: ${formatBrief(report, labels[i])}\n` : `${formatReport(report)}\n\n`);
    }
  }
  if (variants.length > 1) {
    const how = o.rounds > 1 ? `medians of ${o.rounds} rounds` : 'one run each';
    process.stdout.write(`\nSide by side (ratios to ${labels[0]}; same scenario, ${how}, one after the other):\n${formatCompare(groups, labels)}\n`);
  }
  if (o.json) {
    const out = runs.length > 1 ? { command: argv, labels, runs: runs.map((r, k) => ({ label: runLabels[k], ...r })), compare: compareRows(groups) } : { command: argv, ...runs[0]! };
    writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nloadtest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
