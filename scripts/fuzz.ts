// Runs the property-based tests (test/unit/fuzz-*.test.ts) longer than `npm test` does, and
// optionally the live-server fuzz test for longer; prints the cases each property ran.
//
//   npm run fuzz -- --runs 1000000            about a million generated cases in total
//   npm run fuzz -- --runs 1000000 --seed 42  replay one seed (a failure prints its seed)
//   npm run fuzz -- --live-seconds 120        also the live-server fuzz, for two minutes
//
// Every property's `npm test` share is scaled by N / BASE_CASES: with --runs N the total is
// about N. The tests read FUZZ_SCALE, FUZZ_SEED, FUZZ_REPORT and FUZZ_LIVE_SECONDS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// Cases the properties run in `npm test` (the sum of their base runs).
const BASE_CASES = 150_650;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: String(BASE_CASES) },
    seed: { type: 'string' },
    'live-seconds': { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isFinite(runs) || runs <= 0) throw new Error('--runs takes a positive number of cases');

const dir = mkdtempSync(join(tmpdir(), 'beamcast-fuzz-'));
const report = join(dir, 'report.jsonl');
const env: NodeJS.ProcessEnv = { ...process.env, FUZZ_SCALE: String(runs / BASE_CASES), FUZZ_REPORT: report };
if (values.seed !== undefined) env.FUZZ_SEED = values.seed;
if (values['live-seconds'] !== undefined) env.FUZZ_LIVE_SECONDS = values['live-seconds'];

const files = ['test/unit/fuzz-'];
const projects = ['--project', 'unit'];
if (values['live-seconds'] !== undefined) {
  files.push('test/integration/fuzz-live');
  projects.push('--project', 'integration');
}

const started = performance.now();
const result = spawnSync('npx', ['vitest', 'run', ...projects, '--testTimeout=86400000', ...files], { env, stdio: 'inherit' });
const seconds = (performance.now() - started) / 1000;

const rows = existsSync(report)
  ? readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; runs: number })
  : [];
rmSync(dir, { recursive: true, force: true });
const total = rows.reduce((a, r) => a + r.runs, 0);
process.stdout.write('\nproperty cases\n');
for (const r of rows.sort((a, b) => a.name.localeCompare(b.name))) process.stdout.write(`  ${r.name.padEnd(36)} ${r.runs}\n`);
process.stdout.write(`total ${total} cases in ${seconds.toFixed(1)} s; vitest exit code ${result.status}\n`);
process.exit(result.status ?? 1);
