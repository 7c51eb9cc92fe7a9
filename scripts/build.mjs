// Builds the server (dist/server, dist/cli) and the pages (dist/web) with esbuild.
// Dependencies stay external on the server: uWebSockets.js and sharp are native.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const list = (dir, ext) =>
  existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((f) => f.endsWith(ext)).map((f) => join(root, dir, f)) : [];

const server = build({
  entryPoints: { 'server/main': join(root, 'src/main.ts'), ...Object.fromEntries(list('src/cli', '.ts').map((f) => [`cli/${f.split('/').pop().replace(/\.ts$/, '')}`, f])) },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

rmSync(join(out, 'web'), { recursive: true, force: true });
mkdirSync(join(out, 'web'), { recursive: true });
if (existsSync(join(root, 'web/public'))) cpSync(join(root, 'web/public'), join(out, 'web'), { recursive: true });
const pages = list('web/pages', '.ts');
const web = pages.length
  ? build({
      entryPoints: pages,
      outdir: join(out, 'web'),
      bundle: true,
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      format: 'esm',
      minify: true,
      sourcemap: true,
      logLevel: 'warning',
    })
  : Promise.resolve();

await Promise.all([server, web]);
