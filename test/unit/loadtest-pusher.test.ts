import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { OptionsError } from '../../loadtest/options.js';
import { isPusherScenario, parsePusherOptions } from '../../loadtest/pusher-options.js';
import { pusherCompareRows, spread, type PusherReport } from '../../loadtest/pusher-report.js';
import { benchEventData, decodePusherMessage, pusherPath, subscriberStep } from '../../loadtest/pusher-subscriber.js';

describe('pusher scenario options', () => {
  it('is selected by --scenario pusher and parses its documented command line', () => {
    const argv = ['--scenario', 'pusher', '--compare', 'soketi,pusher-uws', '--subscribers', '1000', '--rate', '10', '--duration', '20', '--rounds', '3', '--event-bytes=300'];
    assert.equal(isPusherScenario(argv), true);
    assert.equal(isPusherScenario(['--scenario=relay', '--spawn']), false);
    assert.equal(isPusherScenario(['--spawn']), false);
    const o = parsePusherOptions(argv, 2);
    assert.equal(o.spawn, true);
    assert.deepEqual(o.compare, ['soketi', 'pusher-uws']);
    assert.equal(o.subscribers, 1000);
    assert.equal(o.rate, 10);
    assert.equal(o.eventBytes, 300);
    assert.equal(o.rounds, 3);
    assert.equal(o.workers, 2);
    assert.equal(o.entry, null);
    assert.match(parsePusherOptions(['--spawn', '--entry', 'old/dist/server/main.js']).entry!, /^\/.*old\/dist\/server\/main\.js$/);
  });

  it('refuses what cannot work, with the reason', () => {
    assert.throws(() => isPusherScenario(['--scenario', 'chat']), OptionsError);
    assert.throws(() => parsePusherOptions(['--subscribers', '10']), /--spawn/);
    assert.throws(() => parsePusherOptions(['--ws-url', 'ws://127.0.0.1:1']), /--http-url .* --app/);
    assert.throws(() => parsePusherOptions(['--spawn', '--compare', 'socketio']), /unknown target "socketio"/);
    assert.throws(() => parsePusherOptions(['--spawn', '--channel', 'private-x']), /public channel/);
    assert.throws(() => parsePusherOptions(['--spawn', '--viewers', '10']), /unknown option "--viewers"/);
    assert.throws(() => parsePusherOptions(['--ws-url', 'ws://h:1', '--http-url', 'http://h:2', '--app', 'a:b:c', '--entry', 'main.js']), /--entry needs --spawn/);
    assert.equal(parsePusherOptions(['--ws-url', 'ws://h:1', '--http-url', 'http://h:2', '--app', 'a:b:c']).app.secret, 'c');
  });
});

describe('the lean Pusher subscriber', () => {
  it('connects where pusher-js v8 connects and reads messages as its Protocol.decodeMessage does', () => {
    assert.equal(pusherPath('my key'), '/app/my%20key?protocol=7&client=js&version=8.6.0&flash=false');
    // a string data is parsed as JSON when it can be, else kept; other data is used as is
    assert.deepEqual(decodePusherMessage('{"event":"e","channel":"c","data":"{\\"a\\":1}"}'), { event: 'e', channel: 'c', data: { a: 1 } });
    assert.deepEqual(decodePusherMessage('{"event":"e","channel":"c","data":"not json"}')?.data, 'not json');
    assert.deepEqual(decodePusherMessage('{"event":"e","channel":"c","data":"42"}')?.data, 42);
    assert.deepEqual(decodePusherMessage('{"event":"pusher:error","data":{"code":4001}}')?.data, { code: 4001 });
    assert.equal(decodePusherMessage('[1]'), null);
    assert.equal(decodePusherMessage('nope'), null);
  });

  it('turns each message into its next step', () => {
    const est = JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: '1.2', activity_timeout: 30 }) });
    assert.deepEqual(subscriberStep(est, 'bench', 'tick'), { kind: 'established', socketId: '1.2', activityTimeout: 30 });
    assert.deepEqual(subscriberStep('{"event":"pusher_internal:subscription_succeeded","channel":"bench","data":"{}"}', 'bench', 'tick'), { kind: 'subscribed' });
    assert.deepEqual(subscriberStep('{"event":"pusher_internal:subscription_succeeded","channel":"other","data":"{}"}', 'bench', 'tick'), { kind: 'other' });
    assert.deepEqual(subscriberStep('{"event":"pusher:ping","data":{}}', 'bench', 'tick'), { kind: 'ping' });
    const data = benchEventData(7, 1234.5, 200);
    assert.deepEqual(subscriberStep(JSON.stringify({ event: 'tick', channel: 'bench', data }), 'bench', 'tick'), { kind: 'event', seq: 7, sentAt: 1234.5 });
    assert.deepEqual(subscriberStep(JSON.stringify({ event: 'tick', channel: 'other', data }), 'bench', 'tick'), { kind: 'other' });
    assert.deepEqual(subscriberStep('{"event":"pusher:subscription_error","channel":"bench","data":{"status":401}}', 'bench', 'tick'), { kind: 'error', code: 'subscription_error 401' });
  });

  it('pads event data to the size asked for', () => {
    for (const bytes of [64, 200, 1000]) assert.equal(benchEventData(123456, Date.now() + 0.125, bytes).length, bytes);
  });
});

function run(target: PusherReport['target'], cpuMs: number, p99: number): PusherReport {
  return { target, latencyMs: { p50: 1, p95: 1, p99, max: p99, mean: 1, count: 1 }, deliveries: { deliveredRatio: 1 }, events: { responseMs: { p99: 1 } }, server: { cpuMsPer1000Deliveries: cpuMs, cpuPercent: 1, idleCpuPercent: 0, cpuWaitPercent: 0, rssPerSubscriberBytes: null } } as unknown as PusherReport;
}

describe('pusher side-by-side figures', () => {
  it('takes the median and range of each figure, and the ratios to each baseline round by round', () => {
    assert.deepEqual(spread([3, null, 1, 2]), { median: 2, min: 1, max: 3 });
    assert.deepEqual(spread([null]), { median: null, min: null, max: null });
    // round 2 ran on a slower machine: every target's CPU doubled, the ratio did not
    const groups = [
      [run('beamcast', 6, 10), run('beamcast', 12, 30)],
      [run('soketi', 10, 20), run('soketi', 20, 20)],
      [run('pusher-uws', 5, 5), run('pusher-uws', 10, 10)],
    ];
    const cpu = pusherCompareRows(groups).find((r) => r.figure.startsWith('server CPU per 1000'))!;
    assert.deepEqual(cpu.values.map((v) => v.median), [9, 15, 7.5]);
    assert.equal(cpu.ratios[0]!.against, 'soketi');
    assert.deepEqual(cpu.ratios[0]!.perRound, [0.6, 0.6]);
    assert.deepEqual(cpu.ratios[1]!.perRound, [1.2, 1.2]);
    const p99 = pusherCompareRows(groups).find((r) => r.figure === 'latency p99 (ms)')!;
    assert.deepEqual(p99.ratios[0], { against: 'soketi', perRound: [0.5, 1.5], median: 1, min: 0.5, max: 1.5 });
  });
});
