// Command-line parsing shared by the load test's scenarios: `--flag value` and `--flag=value`,
// numbers checked against their range, refusals as OptionsError (the CLI prints them and exits 2).

export class OptionsError extends Error {}

/** Calls `handle` once per flag; `next()` takes its value (after `=`, or the next argument). */
export function forEachFlag(argv: readonly string[], handle: (flag: string, next: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]!;
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    handle(flag, () => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new OptionsError(`${flag} needs a value`);
      return v;
    });
  }
}

export function numberOption(flag: string, raw: string | undefined, min: number, max: number, int = false): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) {
    throw new OptionsError(`${flag} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** `--server-env KEY=VALUE`, into `env`. */
export function addServerEnv(env: Record<string, string>, kv: string): void {
  const k = kv.indexOf('=');
  if (k <= 0) throw new OptionsError(`--server-env takes KEY=VALUE, got ${JSON.stringify(kv)}`);
  env[kv.slice(0, k)] = kv.slice(k + 1);
}
