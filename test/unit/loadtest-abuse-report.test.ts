import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { AbuseStats } from '../../loadtest/abuse-ws-clients.js';
import { frameRatio, phaseFigures, type PhaseMark } from '../../loadtest/abuse-ws-report.js';
import { closedByReason, type Sample } from '../../loadtest/abuse-ws-sampler.js';

const MB = 1024 * 1024;

function sample(at: number, over: Partial<Sample> = {}): Sample {
  return {
    at,
    rssBytes: 100 * MB,
    cpuSeconds: at / 1000,
    bufferedBytes: 0,
    eventLoopMeanMs: 10,
    eventLoopMaxMs: 12,
    kernelTcpBytes: 10 * MB,
    closedByReason: {},
    scrapeMs: 5,
    scrapeFailed: false,
    ...over,
  };
}

function stats(over: Partial<AbuseStats> = {}): AbuseStats {
  return { opened: 0, refused: {}, closes: {}, requests: 0, historyReplies: 0, errorReplies: 0, bytesIn: 0, largestReply: 0, cpuSeconds: 0, ...over };
}

describe('abuse benchmark figures', () => {
  const without: PhaseMark = { name: 'without', t0: 1000, t1: 2000, seq0: 0, seq1: 10, abuseBefore: null, abuseAfter: null };
  const withFlood: PhaseMark = {
    name: 'with flood',
    t0: 2000,
    t1: 3000,
    seq0: 10,
    seq1: 20,
    abuseBefore: stats({ opened: 10, requests: 100, closes: { '4500': 1 } }),
    abuseAfter: stats({ opened: 25, requests: 900, closes: { '4500': 16 }, largestReply: 64_000 }),
  };
  // Frames 0-9 all arrive; of 10-19 only 10 and 19 do, 19 twice (counted once), and frame 5 of the
  // first window arrives late, during the second: it counts for the window that sent it.
  const frames = [
    ...Array.from({ length: 9 }, (_, i) => ({ seq: i, at: 1050 + i * 100, capturedAt: 1040 + i * 100 })).filter((f) => f.seq !== 5),
    { seq: 10, at: 2010, capturedAt: 2000 },
    { seq: 5, at: 2020, capturedAt: 1540 },
    { seq: 9, at: 1960, capturedAt: 1950 },
    { seq: 19, at: 2950, capturedAt: 2900 },
    { seq: 19, at: 2960, capturedAt: 2900 },
  ];
  const pings = [
    { sentAt: 1100, rttMs: 2 },
    { sentAt: 1600, rttMs: 4 },
    { sentAt: 2100, rttMs: 300 },
    { sentAt: 2600, rttMs: null },
  ];
  const samples = [
    sample(900, { closedByReason: { client: 1 } }),
    sample(1500, { kernelTcpBytes: 10 * MB }),
    sample(2000, { closedByReason: { client: 1 } }),
    sample(2500, { bufferedBytes: 3 * MB, rssBytes: 150 * MB, kernelTcpBytes: 30 * MB, scrapeFailed: true, eventLoopMaxMs: null, closedByReason: null }),
    sample(3000, { eventLoopMaxMs: 400, closedByReason: { client: 1, policy: 15 } }),
  ];

  it('counts the frames a window sent and the viewer got, by seq, whenever they arrived', () => {
    const a = phaseFigures(without, { frames, pings }, samples, without);
    const b = phaseFigures(withFlood, { frames, pings }, samples, without);
    assert.equal(a.framesSent, 10);
    assert.equal(a.framesGot, 10);
    assert.equal(b.framesGot, 2);
    assert.equal(frameRatio(b, a), 0.2);
  });

  it('measures the longest wait for a frame within the window, its edges included', () => {
    const b = phaseFigures(withFlood, { frames, pings }, samples, without);
    assert.equal(b.longestGapMs, 2950 - 2020);
  });

  it('times the pings sent in the window and counts the unanswered ones', () => {
    const b = phaseFigures(withFlood, { frames, pings }, samples, without);
    assert.equal(b.pingsSent, 2);
    assert.equal(b.pingsUnanswered, 1);
    assert.equal(b.pingMaxMs, 300);
  });

  it('takes the server peaks of the window, its closes by reason, and what the abusers did in it', () => {
    const b = phaseFigures(withFlood, { frames, pings }, samples, without);
    assert.equal(b.rssPeakMb, 150);
    assert.equal(b.bufferedPeakMb, 3);
    assert.equal(b.kernelTcpPeakDeltaMb, 20);
    assert.equal(b.eventLoopMaxMs, 400);
    assert.equal(b.scrapesFailed, 1);
    assert.equal(b.serverCpuPercent, 100);
    assert.deepEqual(b.serverCloses, { policy: 15 });
    assert.equal(b.abuse!.opened, 15);
    assert.equal(b.abuse!.requests, 800);
    assert.deepEqual(b.abuse!.closes, { '4500': 15 });
  });

  it('sums connections closed over roles by reason from the metrics text', () => {
    const text = [
      '# TYPE beamcast_connections_closed_total counter',
      'beamcast_connections_closed_total{role="viewer",reason="policy"} 12',
      'beamcast_connections_closed_total{role="broadcaster",reason="policy"} 1',
      'beamcast_connections_closed_total{role="viewer",reason="client"} 3',
      'beamcast_connections_opened_total{role="viewer"} 40',
    ].join('\n');
    assert.deepEqual(closedByReason(text), { policy: 13, client: 3 });
  });
});
