// `npm run loadtest -- ...`: one scenario, or the same scenario against beamcast and baselines.
import { writeFileSync } from 'node:fs';
import { HELP, OptionsError, parseOptions } from './options.js';
import { formatCompare, formatReport, type Report } from './report.js';
import { runScenario } from './run.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let o;
  try {
    o = parseOptions(argv);
  } catch (err) {
    if (err instanceof OptionsError) {
      process.stderr.write(`loadtest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const progress = (line: string) => {
    if (!o.progress) return;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
  const endProgress = () => o.progress && tty && process.stderr.write('\r\x1b[2K');

  const targets = [o.target, ...o.compare.filter((t) => t !== o.target)];
  const reports: Report[] = [];
  for (const t of targets) {
    const report = await runScenario(o, t, { progress });
    endProgress();
    reports.push(report);
    process.stdout.write(`${formatReport(report)}\n\n`);
  }
  if (reports.length > 1) process.stdout.write(`Side by side (ratios to ${reports[0]!.target}; same scenario, one after the other):\n${formatCompare(reports)}\n`);
  if (o.json) {
    const out = reports.length > 1 ? { command: argv, runs: reports } : { command: argv, ...reports[0]! };
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
