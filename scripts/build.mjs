// Builds the server (dist/server, dist/cli) and the pages (dist/web) with esbuild.
// Dependencies stay external on the server: uWebSockets.js and sharp are native.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
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
const browser = {
  outdir: join(out, 'web'),
  bundle: true,
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
  // Content-hashed names: served as immutable, so a new build is a new URL (see below).
  entryNames: '[name]-[hash]',
  metafile: true,
};
// Workers first (classic scripts: module workers are not in every browser the pages support):
// pages find each by a constant holding its hashed URL, web/workers/tier-worker.ts as
// __TIER_WORKER_URL__, so a new worker is a new page script too.
const workers = list('web/workers', '.ts');
const workerBuild = workers.length ? await build({ ...browser, entryPoints: workers, format: 'iife' }) : null;
const workerUrls = {};
for (const [file, meta] of Object.entries(workerBuild?.metafile.outputs ?? {})) {
  if (!meta.entryPoint) continue;
  const constant = `__${basename(meta.entryPoint, '.ts').toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL__`;
  workerUrls[constant] = JSON.stringify(`/static/${basename(file)}`);
}
const pages = list('web/pages', '.ts');
const web = pages.length ? build({ ...browser, entryPoints: pages, format: 'esm', define: workerUrls }) : Promise.resolve(null);

const [, pageBuild] = await Promise.all([server, web]);

// The HTML is the only file browsers revalidate; every script, style and icon it references gets
// a content-hashed name, so an upgrade reaches a browser on its next page load and an unchanged
// file is never fetched again. Unhashed copies of public files stay for links from elsewhere.
const hashed = new Map();
for (const [file, meta] of Object.entries(pageBuild?.metafile.outputs ?? {})) {
  if (meta.entryPoint) hashed.set(`${basename(meta.entryPoint, '.ts')}.js`, basename(file));
}
const webOut = join(out, 'web');
for (const name of readdirSync(webOut).filter((f) => ['.css', '.svg', '.png'].includes(extname(f)))) {
  const bytes = readFileSync(join(webOut, name));
  const hash = BigInt(`0x${createHash('sha256').update(bytes).digest('hex').slice(0, 10)}`).toString(36).toUpperCase().padStart(8, '0').slice(-8);
  const renamed = `${basename(name, extname(name))}-${hash}${extname(name)}`;
  writeFileSync(join(webOut, renamed), bytes);
  hashed.set(name, renamed);
}
for (const page of readdirSync(webOut).filter((f) => f.endsWith('.html'))) {
  const html = readFileSync(join(webOut, page), 'utf8');
  const rewritten = html.replace(/(src|href)="\/static\/([^"?#]+)"/g, (all, attr, name) =>
    hashed.has(name) ? `${attr}="/static/${hashed.get(name)}"` : all,
  );
  writeFileSync(join(webOut, page), rewritten);
}
