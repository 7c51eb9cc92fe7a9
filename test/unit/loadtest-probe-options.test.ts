import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { OptionsError, parseOptions } from '../../loadtest/options.js';
import { parseMetrics, parseProcStatCpu, parseProcStatusKb, parseSchedstatWait } from '../../loadtest/server-probe.js';

describe('server figures', () => {
  it('reads utime + stime from /proc/<pid>/stat even when the command name has spaces and parentheses', () => {
    const stat = '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 11 0 100 1000000 5000';
    assert.equal(parseProcStatCpu(stat, 100), 3.25);
  });

  it('reads the run-queue wait from /proc/<pid>/schedstat', () => {
    assert.equal(parseSchedstatWait('209456000 1500000000 2\n'), 1.5);
    assert.equal(parseSchedstatWait(''), null);
  });

  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    assert.equal(parseProcStatusKb(status, 'VmRSS'), 100 * 1024 * 1024);
    assert.equal(parseProcStatusKb(status, 'VmHWM'), 200 * 1024 * 1024);
    assert.equal(parseProcStatusKb('', 'VmRSS'), null);
  });

  it('reads prom-client process metrics and sums a skipped-frames counter over its labels', () => {
    const text = [
      '# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.',
      '# TYPE process_cpu_user_seconds_total counter',
      'process_cpu_user_seconds_total 12.5',
      'process_cpu_system_seconds_total 2.5',
      'process_resident_memory_bytes 73400320',
      'beamcast_frames_skipped_total{reason="backpressure"} 10',
      'beamcast_frames_skipped_total{reason="rate_limit"} 2',
    ].join('\n');
    assert.deepEqual(parseMetrics(text), { cpuSeconds: 15, rssBytes: 73400320, skippedFrames: 12 });
    assert.deepEqual(parseMetrics('up 1'), { cpuSeconds: null, rssBytes: null, skippedFrames: null });
  });
});

describe('load test options', () => {
  it('parses the documented command line', () => {
    const o = parseOptions(
      ['--viewers', '300', '--fps=15', '--frame-kb', '50', '--duration', '30', '--spawn', '--late-joiners', '20', '--chatters', '10', '--chat-rate', '0.5', '--slow-viewers', '0.2', '--json', 'out.json'],
      2,
    );
    assert.equal(o.viewers, 300);
    assert.equal(o.fps, 15);
    assert.equal(o.slowViewers, 0.2);
    assert.equal(o.workers, 2);
    assert.equal(o.sourceAddresses, 1);
    assert.equal(o.json, 'out.json');
    assert.deepEqual(parseOptions(['--compare', 'bare-uws,ws,beamcast'], 2).compare, ['bare-uws', 'ws']);
    assert.equal(parseOptions(['--spawn', '--viewers', '45000'], 2).sourceAddresses, 3);
  });

  it('refuses what cannot work, with the reason', () => {
    assert.throws(() => parseOptions([], 2), OptionsError);
    assert.throws(() => parseOptions(['--ws-url', 'ws://127.0.0.1:8081'], 2), /--key/);
    assert.throws(() => parseOptions(['--spawn', '--viewers', '-1'], 2), /--viewers/);
    assert.throws(() => parseOptions(['--spawn', '--compare', 'nginx'], 2), /unknown target/);
    assert.throws(() => parseOptions(['--spawn', '--chatters', '5', '--viewers', '2'], 2), /--chatters/);
  });
});
