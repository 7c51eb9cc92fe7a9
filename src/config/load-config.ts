import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { configConflict } from './check-config.js';
import { configSchema, flagName, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  env: Record<string, string | undefined>;
  argv: readonly string[];
  /** A .env file whose values apply where the environment has none. */
  envFile?: string | null;
}

/**
 * Resolves the configuration once: defaults < .env file < environment < CLI flags.
 * Throws ConfigError naming the env var and flag of the first bad value; returns a frozen object.
 */
export function loadConfig(sources: ConfigSources): Config {
  const fileEnv = sources.envFile && existsSync(sources.envFile) ? parseEnv(readFileSync(sources.envFile, 'utf8')) : {};
  const env: Record<string, string | undefined> = { ...fileEnv, ...sources.env };
  const flags = parseFlags(sources.argv);
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(configSchema)) {
    const flag = flagName(f.env);
    const fromFlag = flags.get(flag);
    flags.delete(flag);
    const raw = fromFlag ?? env[f.env];
    if (raw === undefined) {
      out[key] = f.default;
      continue;
    }
    try {
      out[key] = (f.parse as (raw: string) => unknown)(raw);
    } catch (err) {
      const where = fromFlag !== undefined ? `${flag} (${f.env})` : `${f.env} (${flag})`;
      throw new ConfigError(`Invalid configuration: ${where} ${(err as Error).message}, got ${JSON.stringify(raw)}`);
    }
  }
  const unknown = [...flags.keys()];
  if (unknown.length > 0) throw new ConfigError(`Unknown option ${unknown[0]}; run with --help for the list`);
  const conflict = configConflict(out as { port: number; wsPort: number });
  if (conflict) throw new ConfigError(`Invalid configuration: ${conflict}`);
  for (const v of Object.values(out)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(out) as Config;
}

// --name value, --name=value, and a bare --name meaning "true" (for booleans).
function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`Unexpected argument ${JSON.stringify(arg)}; options look like --port 8080`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      flags.set(arg, argv[++i]!);
    } else {
      flags.set(arg, 'true');
    }
  }
  return flags;
}

export function configHelp(): string {
  const rows = Object.values(configSchema).map((f) => {
    const def = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    return `  ${flagName(f.env).padEnd(24)} ${f.env.padEnd(24)} ${f.doc} (default: ${def === '' ? 'empty' : def})`;
  });
  return ['Usage: npm start -- [options]', '', '  flag                     env var', ...rows, ''].join('\n');
}
