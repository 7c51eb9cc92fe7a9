import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { configSchema, flagName } from '../../src/config/schema.js';
import { fuzz } from '../helpers/fuzz.js';

const fields = Object.entries(configSchema);
const ENV_NAMES = fields.map(([, f]) => f.env);

// Values near what each kind of setting accepts, and anything else.
const number = fc.oneof(fc.integer({ min: -100_000, max: 10_000_000 }).map(String), fc.double().map(String), fc.constantFrom('0', '-0', '1e3', '0x10', '08', '1.5', '9007199254740993', 'Infinity', 'NaN'));
const tier = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_-]{0,17}$/), fc.integer({ min: 0, max: 9000 }), fc.integer({ min: -1, max: 101 })).map(([n, w, q]) => `${n}:${w}:${q}`);
const value = fc
  .tuple(
    fc.oneof(
      number,
      fc.constantFrom('true', 'false', 'yes', 'no', 'on', 'off', '1', '0', 'TRUE', 'maybe', 'info', 'trace', 'silent', 'loud', 'none', 'source:640:60', '*', 'same-origin'),
      fc.array(tier, { maxLength: 3 }).map((t) => t.join(',')),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    ),
    fc.constantFrom('', ' ', '\t', '\u00a0', '\n'),
  )
  .map(([v, pad]) => (pad && v.length % 2 ? pad + v + pad : v));

const env = fc.dictionary(fc.constantFrom(...ENV_NAMES), value, { maxKeys: 8 });

/** The first setting (in schema order) whose value its parser refuses. */
function firstBad(raw: Record<string, string>): string | null {
  for (const [, f] of fields) {
    const v = raw[f.env];
    if (v === undefined) continue;
    try {
      (f.parse as (s: string) => unknown)(v);
    } catch {
      return f.env;
    }
  }
  return null;
}

describe('configuration under generated values', () => {
  it('each value either parses to what its field gives, or fails with a ConfigError naming that variable', () => {
    fuzz(
      'config env',
      fc.property(env, (raw) => {
        const bad = firstBad(raw);
        let config;
        try {
          config = loadConfig({ env: raw, argv: [], envFile: null });
        } catch (err) {
          assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
          assert.ok(bad !== null, `refused only a bad value: ${err.message}`);
          assert.ok(err.message.includes(bad) && err.message.includes(flagName(bad)), err.message);
          return;
        }
        assert.equal(bad, null);
        assert.ok(Object.isFrozen(config));
        for (const [key, f] of fields) {
          const v = raw[f.env];
          const want = v === undefined ? f.default : (f.parse as (s: string) => unknown)(v);
          assert.deepEqual(config[key as keyof typeof config], want, key);
        }
      }),
      8_000,
    );
  });

  it('command-line flags either apply or fail with a ConfigError, never anything else', () => {
    const flag = fc.oneof(fc.constantFrom(...ENV_NAMES.map(flagName)), fc.string({ maxLength: 10 }).map((s) => `--${s}`));
    const token = fc.oneof(flag, fc.tuple(flag, value).map(([f, v]) => `${f}=${v}`), value);
    fuzz(
      'config argv',
      fc.property(fc.array(token, { maxLength: 6 }), env, (argv, raw) => {
        try {
          loadConfig({ env: raw, argv, envFile: null });
        } catch (err) {
          assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
          if (err.message.startsWith('Invalid configuration')) assert.ok(ENV_NAMES.some((e) => err.message.includes(e)), err.message);
        }
      }),
      4_000,
    );
  });
});
