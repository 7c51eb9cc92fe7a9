import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, vi } from 'vitest';
import { DemandNotice } from '../../src/core/demand-notice.js';
import { EDGE_GRACE_FRAMES, EDGE_GRACE_MS, EdgeTiers, fitsTier } from '../../src/core/edge-tiers.js';
import { copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import {
  FRAME_FLAG_TIER,
  MIN_ROUNDS,
  TierBudget,
  checkFrame,
  encodeFrame,
  encodeTierFrame,
  readFrameHeader,
  readJpegSize,
  readTierTag,
  seqIsNewer,
  tierSize,
  type DemandMessage,
  type TierInfo,
} from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';

const SD: TierInfo = { name: 'sd', maxWidth: 640, quality: 60 };
const THUMB: TierInfo = { name: 'thumb', maxWidth: 160, quality: 50 };

describe('tier frames (header extension)', () => {
  it('carry the source seq and capturedAt, flag bit 0 and the tier name after the fixed header', () => {
    const jpeg = fakeJpeg(100, 640, 360);
    const f = encodeTierFrame(jpeg, 'thumb', 0x01020304, 1700000000123.5);
    assert.deepEqual([...f.subarray(0, 4)], [1, FRAME_FLAG_TIER, 30, 0], 'kind, flags, headerLen = 24 + 1 + 5');
    assert.deepEqual(readFrameHeader(f), { kind: 1, flags: 1, headerLen: 30, seq: 0x01020304, capturedAt: 1700000000123.5, relayedAt: 0 });
    assert.deepEqual([...f.subarray(24, 30)], [5, ...Buffer.from('thumb')]);
    assert.deepEqual(checkFrame(f), { ok: true, headerLen: 30 }, 'a reader that skips extra header bytes finds the JPEG');
    assert.deepEqual(readJpegSize(f, 30), { width: 640, height: 360 });
    assert.equal(readTierTag(f, 30), 'thumb');
    assert.equal(readTierTag(encodeFrame(jpeg, 1, 1), 24), null, 'a source frame has no tag');
  });

  it('report a malformed tag: a length past the header, zero, or a name that is not a tier name', () => {
    const f = encodeTierFrame(fakeJpeg(100), 'sd', 1, 1);
    for (const [at, value] of [
      [24, 3],
      [24, 0],
      [24, 17],
      [25, 0x41],
      [25, 0x30],
    ] as const) {
      const bad = new Uint8Array(f);
      bad[at] = value;
      assert.equal(readTierTag(bad, 27), undefined, `byte ${at} = ${value}`);
    }
    assert.throws(() => encodeTierFrame(fakeJpeg(100), 'Not A Tier', 1, 1));
    assert.throws(() => encodeTierFrame(fakeJpeg(100), 'a'.repeat(17), 1, 1));
  });

  it('lose their tag when the server copies them: the plain 24-byte header, metadata stripped', () => {
    const f = encodeTierFrame(fakeJpeg(100, 640, 360), 'sd', 7, 9);
    const copy = copyWithoutMetadata(f, 27, 24)!;
    assert.equal(copy.length, f.length - 3);
    assert.deepEqual([...copy.subarray(0, 2)], [1, FRAME_FLAG_TIER], 'the caller clears the flag and headerLen');
    assert.deepEqual([...copy.subarray(24, 26)], [0xff, 0xd8]);
    assert.deepEqual(readJpegSize(copy, 24), { width: 640, height: 360 });
  });

  it('order by seq, across the uint32 wrap', () => {
    assert.ok(seqIsNewer(2, 1));
    assert.ok(!seqIsNewer(1, 1));
    assert.ok(!seqIsNewer(1, 2));
    assert.ok(seqIsNewer(0, 0xffffffff));
    assert.ok(!seqIsNewer(0xffffffff, 0));
  });
});

describe('tier sizes', () => {
  const src = { width: 1280, height: 720 };
  it('fit when no wider than the tier or the source and no taller than the source shape allows', () => {
    assert.ok(fitsTier({ width: 640, height: 360 }, SD, src));
    assert.ok(fitsTier({ width: 640, height: 361 }, SD, src), 'a pixel of rounding');
    assert.ok(fitsTier({ width: 320, height: 180 }, SD, src), 'narrower is fine');
    assert.ok(!fitsTier({ width: 641, height: 360 }, SD, src), 'wider than the tier');
    assert.ok(!fitsTier({ width: 640, height: 363 }, SD, src), 'taller than 16:9');
    assert.ok(!fitsTier({ width: 640, height: 480 }, SD, { width: 320, height: 240 }), 'enlarged');
    assert.ok(fitsTier({ width: 640, height: 1138 }, SD, { width: 720, height: 1280 }), 'portrait');
    assert.ok(!fitsTier({ width: 160, height: 90 }, THUMB, null), 'no source frame yet');
    assert.ok(!fitsTier(null, THUMB, src), 'no SOF');
  });

  it('are what a broadcaster makes from its picture', () => {
    assert.deepEqual(tierSize(SD, 1280, 720), { width: 640, height: 360 });
    assert.deepEqual(tierSize(SD, 320, 240), { width: 320, height: 240 }, 'never enlarged');
    assert.deepEqual(tierSize(THUMB, 1366, 768), { width: 160, height: 90 });
    for (const [w, h] of [
      [1280, 720],
      [1366, 768],
      [720, 1280],
      [641, 479],
    ]) {
      for (const t of [SD, THUMB]) assert.ok(fitsTier(tierSize(t, w!, h!), t, { width: w!, height: h! }), `${t.name} of ${w}x${h}`);
    }
  });
});

describe('who encodes a tier (switch-over)', () => {
  it('is the edge from the announcement while its frames keep coming, the server after more than N frames and a second without them', () => {
    const e = new EdgeTiers();
    e.onSourceFrame(0);
    assert.equal(e.origin('sd'), 'server');
    assert.deepEqual(e.announce(['sd'], 0), { toEdge: ['sd'], toServer: [] });
    assert.equal(e.origin('sd'), 'edge', 'announced: its first frame is on the way');
    // A 30 fps source: N frames pass quickly, the second holds the tier.
    let t = 0;
    for (let i = 0; i < EDGE_GRACE_FRAMES * 3; i++) e.onSourceFrame((t += 33));
    assert.equal(e.origin('sd'), 'edge', `${EDGE_GRACE_FRAMES * 3} frames but ${t} ms`);
    while (t < EDGE_GRACE_MS) e.onSourceFrame((t += 33));
    assert.equal(e.origin('sd'), 'server', 'a second and more than N frames');
    assert.deepEqual(e.edgeFrame('sd', 40, t + 5), { publish: true, becameEdge: true }, 'a frame makes it the edge again');
    assert.equal(e.origin('sd'), 'edge');
    // A 1 fps source: the second passes at once, N frames hold the tier.
    for (let i = 0; i < EDGE_GRACE_FRAMES; i++) e.onSourceFrame((t += 1000));
    assert.equal(e.origin('sd'), 'edge', `${EDGE_GRACE_FRAMES} frames`);
    e.onSourceFrame((t += 1000));
    assert.equal(e.origin('sd'), 'server', `${EDGE_GRACE_FRAMES + 1} frames`);
  });

  it('goes back to the server at once when the broadcaster stops announcing it', () => {
    const e = new EdgeTiers();
    e.announce(['sd', 'thumb'], 0);
    assert.deepEqual(e.announce(['thumb'], 10), { toEdge: [], toServer: ['sd'] });
    assert.equal(e.origin('sd'), 'server');
    assert.equal(e.isAnnounced('sd'), false);
    assert.equal(e.edgeFrame('sd', 1, 20), null, 'frames of a tier no longer announced are not taken');
    assert.deepEqual(e.announce(['thumb'], 30), { toEdge: [], toServer: [] }, 'the same set again changes nothing');
  });

  it('publishes frames of a tier in seq order, whoever made them', () => {
    const e = new EdgeTiers();
    assert.equal(e.serverFrame('sd', 5), true);
    e.announce(['sd'], 0);
    assert.deepEqual(e.edgeFrame('sd', 5, 1), { publish: false, becameEdge: false }, 'the picture the server already sent');
    assert.deepEqual(e.edgeFrame('sd', 6, 2), { publish: true, becameEdge: false });
    assert.deepEqual(e.edgeFrame('sd', 4, 3), { publish: false, becameEdge: false }, 'an older one');
    assert.equal(e.serverFrame('sd', 6), false, 'after a switch back, the edge already sent 6');
    assert.equal(e.serverFrame('sd', 7), true);
  });
});

describe('the demand message', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes out at once after a quiet spell, coalesces a burst, and never repeats the same set', () => {
    let demand: TierInfo[] = [];
    const sent: DemandMessage[] = [];
    const n = new DemandNotice(
      () => demand,
      (m) => sent.push(m),
    );
    n.sendNow();
    assert.deepEqual(sent, [{ type: 'demand', tiers: [] }], 'on welcome, even when empty');
    vi.advanceTimersByTime(1000);
    demand = [SD];
    n.changed();
    assert.deepEqual(sent.at(-1), { type: 'demand', tiers: [SD] }, 'at once');
    demand = [SD, THUMB];
    n.changed();
    demand = [SD];
    n.changed();
    demand = [THUMB];
    n.changed();
    assert.equal(sent.length, 2, 'held back within the interval');
    vi.advanceTimersByTime(250);
    assert.deepEqual(sent.at(-1), { type: 'demand', tiers: [THUMB] }, 'the set at the end of the interval');
    assert.equal(sent.length, 3);
    vi.advanceTimersByTime(1000);
    n.changed();
    assert.equal(sent.length, 3, 'unchanged: nothing sent');
    n.dispose();
    demand = [];
    n.changed();
    vi.advanceTimersByTime(1000);
    assert.equal(sent.length, 3);
    assert.equal(vi.getTimerCount(), 0);
  });
});

describe('the broadcaster tier budget', () => {
  const round = (sd: number, thumb: number) => [
    { name: 'sd', ms: sd },
    { name: 'thumb', ms: thumb },
  ];

  it('encodes the demanded tiers widest first while their rounds fit in the frame interval', () => {
    const b = new TierBudget();
    b.setDemand([THUMB, SD]);
    b.intervalMs = 1000 / 30;
    assert.deepEqual(b.active.map((t) => t.name), ['sd', 'thumb']);
    for (let i = 0; i < 50; i++) assert.equal(b.record(round(20, 5)), null);
    assert.equal(b.costOf('sd'), 20);
  });

  it('drops the most expensive tier first when rounds take longer than the frame interval, then the next', () => {
    const b = new TierBudget();
    b.setDemand([SD, THUMB]);
    b.intervalMs = 1000 / 30;
    for (let i = 0; i < MIN_ROUNDS - 1; i++) assert.equal(b.record(round(40, 5)), null, 'not judged on a few rounds');
    assert.equal(b.record(round(40, 5)), 'sd');
    assert.deepEqual(b.active.map((t) => t.name), ['thumb']);
    assert.deepEqual(b.droppedTiers, ['sd']);
    for (let i = 0; i < 50; i++) assert.equal(b.record([{ name: 'thumb', ms: 5 }]), null, 'thumb alone fits');
    b.intervalMs = 4;
    let dropped: string | null = null;
    for (let i = 0; i < MIN_ROUNDS && !dropped; i++) dropped = b.record([{ name: 'thumb', ms: 5 }]);
    assert.equal(dropped, 'thumb');
    assert.equal(b.active.length, 0);
    b.reset();
    assert.deepEqual(b.active.map((t) => t.name), ['sd', 'thumb'], 'new settings: another chance');
  });

  it('does not drop a tier for one slow round', () => {
    const b = new TierBudget();
    b.setDemand([SD, THUMB]);
    b.intervalMs = 66;
    for (let i = 0; i < 30; i++) assert.equal(b.record(i % 10 === 5 ? round(1000, 20) : round(15, 3)), null);
  });
});
