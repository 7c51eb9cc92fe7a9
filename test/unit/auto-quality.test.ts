import assert from 'node:assert/strict';
import { test } from 'vitest';
import { AutoQuality } from '../../src/protocol/index.js';

/** Feeds `seconds` of frames at 30 fps, of which every `keepEvery`-th arrives; returns the switches. */
function feed(auto: AutoQuality, from: { t: number; seq: number }, seconds: number, keepEvery: number): string[] {
  const switches: string[] = [];
  for (let i = 0; i < seconds * 30; i++) {
    from.t += 1000 / 30;
    from.seq++;
    if (from.seq % keepEvery !== 0) continue;
    const next = auto.onFrame(from.seq, from.t);
    if (next) {
      switches.push(next);
      auto.reset();
    }
  }
  return switches;
}

test('auto quality steps down while frames are skipped and back up after a clean stretch', () => {
  const auto = new AutoQuality({ qualities: ['source', 'sd', 'thumb'] }, 'source');
  const clock = { t: 0, seq: 0 };
  assert.deepEqual(feed(auto, clock, 5, 1), [], 'no skips: stays on source');
  assert.deepEqual(feed(auto, clock, 5, 2), ['sd', 'thumb'], 'half the frames skipped: down, then down again');
  assert.deepEqual(feed(auto, clock, 3, 2), [], 'already at the lowest tier');
  assert.deepEqual(feed(auto, clock, 9, 1), [], 'clean, but not long enough yet');
  assert.deepEqual(feed(auto, clock, 3, 1), ['sd'], 'ten clean seconds: one step up');
});

test('a step up that fails soon doubles the wait before the next try', () => {
  const auto = new AutoQuality({ qualities: ['source', 'sd'] }, 'sd');
  const clock = { t: 0, seq: 0 };
  assert.deepEqual(feed(auto, clock, 12, 1), ['source']);
  assert.deepEqual(feed(auto, clock, 3, 3), ['sd'], 'source skips again: back down');
  assert.deepEqual(feed(auto, clock, 14, 1), [], 'now 20 s of clean frames are needed');
  assert.deepEqual(feed(auto, clock, 8, 1), ['source']);
});
