// The viewer threads and the baseline relays run as plain JavaScript: worker threads do not
// inherit tsx's loader, and a spawned relay must not carry a TypeScript loader's memory into
// the RSS comparison. esbuild bundles them (a fraction of a second) on each run.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASELINES } from './dialect.js';

/** Pusher-protocol relays for the Pusher scenario (soketi runs from its own install, see pusher-targets.ts). */
export const PUSHER_BASELINES = ['pusher-uws'] as const;

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'loadtest');

export interface Bundle {
  worker: string;
  baseline(name: string): string;
}

let bundled: Promise<Bundle> | null = null;

export function bundleLoadtest(): Promise<Bundle> {
  bundled ??= (async () => {
    await build({
      entryPoints: {
        worker: join(ROOT, 'loadtest', 'worker.ts'),
        ...Object.fromEntries([...BASELINES, ...PUSHER_BASELINES].map((b) => [`baselines/${b}`, join(ROOT, 'loadtest', 'baselines', `${b}.ts`)])),
      },
      outdir: OUT,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    return { worker: join(OUT, 'worker.js'), baseline: (name) => join(OUT, 'baselines', `${name}.js`) };
  })();
  return bundled;
}

/** dist/server/main.js, rebuilt with the project's build when missing or older than src/. */
export async function serverEntry(): Promise<string> {
  const entry = join(ROOT, 'dist', 'server', 'main.js');
  if (!existsSync(entry) || newestMtime(join(ROOT, 'src')) > statSync(entry).mtimeMs) {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('node scripts/build.mjs failed');
  }
  return entry;
}

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return max;
}
