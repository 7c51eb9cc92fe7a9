// Writes docs/configuration.md from the config schema: npm run docs:config
// test/unit/config-doc.test.ts fails when the committed file is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchema, flagName } from '../src/config/schema.js';

export function renderConfigDoc(): string {
  const rows = Object.values(configSchema).map((f) => {
    const def = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    return `| \`${f.env}\` | \`${flagName(f.env)}\` | ${def === '' ? '(empty)' : `\`${def}\``} | ${f.doc} |`;
  });
  return [
    '# Configuration',
    '',
    'Every setting is an environment variable and a command-line flag (`npm start -- --port 9000`).',
    'Flags win over the environment, which wins over a `.env` file in the working directory',
    '(see `.env.example`). Values are checked once at start; a bad one stops the server with a',
    'message naming it. This file is generated from `src/config/schema.ts` by `npm run docs:config`.',
    '',
    '| env var | flag | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDoc());
}
