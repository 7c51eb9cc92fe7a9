import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { absoluteCount, ChannelShares, connectionsEntry, parseEntry, presenceEntry, subscriptionsEntry } from '../../src/adapters/redis/channel-shares.js';

describe('channel bus shares', () => {
  it('names each kind of share by an entry that reads back as the same share', () => {
    assert.deepEqual(parseEntry(subscriptionsEntry('1', 'presence-a')), { kind: 's', app: '1', channel: 'presence-a' });
    assert.deepEqual(parseEntry(presenceEntry('1', 'presence-a', 'user "x"\t1')), { kind: 'p', app: '1', channel: 'presence-a', user: 'user "x"\t1' });
    assert.deepEqual(parseEntry(connectionsEntry('app.1')), { kind: 'c', app: 'app.1' });
  });

  it('reads anything else as no share', () => {
    for (const bad of ['', 'x', '[]', '["s","a"]', '["p","a","c"]', '["c","a","b"]', '["s","a",1]', '{"kind":"s"}', '["z","a"]']) assert.equal(parseEntry(bad), null, bad);
  });

  it('keeps counts as whole numbers of at least 0, and forgets a share set to 0', () => {
    assert.deepEqual([absoluteCount(2), absoluteCount(2.7), absoluteCount(-1), absoluteCount(Number.NaN), absoluteCount(Infinity)], [2, 2, 0, 0, 0]);
    const shares = new ChannelShares();
    shares.set('e1', 2, '{}');
    shares.set('e2', 1);
    shares.set('e1', 0);
    assert.equal(shares.size, 1);
    assert.deepEqual([...shares.entries()], [['e2', { count: 1, info: '' }]]);
  });
});
