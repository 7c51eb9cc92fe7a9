import assert from 'node:assert/strict';
import { test } from 'vitest';
import { addressKey } from '../../src/core/address-key.js';
import { ConnectionLimiter } from '../../src/core/connection-limiter.js';

test('an IPv4 client has one key however a transport spells its address', () => {
  for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '0000:0000:0000:0000:0000:ffff:7f00:0001', '[::ffff:7f00:1]', ' 127.0.0.1 ']) {
    assert.equal(addressKey(a), '127.0.0.1', a);
  }
});

test('an IPv6 client counts by its /64, so rotating the interface id does not buy more connections', () => {
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:DB8:1:2::ffff'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8:0001:0002:0000:0000:0000:0009'), '2001:db8:1:2::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.notEqual(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
});

test('an address that does not parse counts as itself', () => {
  for (const a of ['1::2::3', '1:2:3:4:5:6:7:8:9', '::ffff:300.1.1.1', 'unknown', '']) assert.equal(addressKey(a), a.trim());
});

test('the connection limiter counts both transports\' spellings of one client together', () => {
  const l = new ConnectionLimiter(2);
  assert.ok(l.tryAcquire('127.0.0.1'));
  assert.ok(l.tryAcquire('0000:0000:0000:0000:0000:ffff:7f00:0001'));
  assert.equal(l.tryAcquire('::ffff:127.0.0.1'), false);
  l.release('::ffff:127.0.0.1');
  assert.ok(l.tryAcquire('127.0.0.1'));
  assert.ok(l.tryAcquire('2001:db8::1'));
  assert.ok(l.tryAcquire('2001:db8::2'));
  assert.equal(l.tryAcquire('2001:db8::3'), false, 'same /64');
  assert.equal(l.addresses, 2);
});
