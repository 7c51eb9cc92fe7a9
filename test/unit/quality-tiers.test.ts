import assert from 'node:assert/strict';
import { test } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { parseQualityTiers } from '../../src/config/quality-tiers.js';

test('QUALITY_TIERS parses name:maxWidth:quality lists and rejects bad ones', () => {
  assert.deepEqual(
    parseQualityTiers('sd:640:60, thumb:160:50').map((t) => ({ ...t })),
    [
      { name: 'sd', maxWidth: 640, quality: 60 },
      { name: 'thumb', maxWidth: 160, quality: 50 },
    ],
  );
  assert.deepEqual(parseQualityTiers(''), []);
  for (const bad of ['sd', 'sd:640', 'sd:640:0', 'sd:8:60', 'sd:640:101', 'SD:640:60', 'source:640:60', 'sd:640:60,sd:320:50', 'sd:6.5:60']) {
    assert.throws(() => parseQualityTiers(bad), Error, bad);
  }
});

test('the default tiers are sd 640/60 and thumb 160/50, shown in config syntax', () => {
  const config = loadConfig({ env: {}, argv: [], envFile: null });
  assert.equal(config.qualityTiers.join(','), 'sd:640:60,thumb:160:50');
  assert.equal(config.sourceMaxWidth, 0);
  const custom = loadConfig({ env: {}, argv: ['--quality-tiers', 'hd:1280:75', '--source-max-width', '1920'], envFile: null });
  assert.equal(custom.qualityTiers[0]!.maxWidth, 1280);
  assert.equal(custom.sourceMaxWidth, 1920);
  assert.throws(() => loadConfig({ env: { QUALITY_TIERS: 'hd' }, argv: [], envFile: null }), /QUALITY_TIERS/);
});
