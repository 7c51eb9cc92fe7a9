import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { signChannelAuth, verifyChannelAuth } from '../../src/transport/pusher/signing/channel-auth.js';
import { signatureMatches } from '../../src/transport/pusher/signing/hmac.js';
import { requestStringToSign, signRequest, verifySignedRequest, type SignableRequest } from '../../src/transport/pusher/signing/request-signature.js';
import { signUserAuth, verifyUserAuth } from '../../src/transport/pusher/signing/user-auth.js';
import { verifyWebhookSignature, webhookHeaders } from '../../src/transport/pusher/signing/webhook-signature.js';

const app = { id: '3', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', useTLS: false });
const now = () => Math.floor(Date.now() / 1000);

describe('channel and user authorization', () => {
  test('matches the worked example of Pusher\'s authentication reference', () => {
    assert.equal(signChannelAuth(app, '1234.1234', 'private-foobar'), '278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4');
  });

  test('private and encrypted channel auth from the pusher SDK verifies, and ours is identical', () => {
    const encrypted = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64') });
    for (const [client, channel] of [[sdk, 'private-orders'], [encrypted, 'private-encrypted-orders']] as const) {
      const { auth } = client.authorizeChannel('123.456', channel);
      assert.ok(verifyChannelAuth(app, auth, '123.456', channel), channel);
      assert.equal(signChannelAuth(app, '123.456', channel), auth);
      assert.ok(!verifyChannelAuth(app, auth, '123.457', channel), 'another socket');
      assert.ok(!verifyChannelAuth(app, auth, '123.456', channel + 'x'), 'another channel');
    }
  });

  test('presence auth covers the exact channel_data string', () => {
    const { auth, channel_data: channelData } = sdk.authorizeChannel('1.2', 'presence-room', { user_id: '7', user_info: { name: 'Ada' } });
    assert.ok(channelData);
    assert.ok(verifyChannelAuth(app, auth, '1.2', 'presence-room', channelData));
    assert.equal(signChannelAuth(app, '1.2', 'presence-room', channelData), auth);
    assert.ok(!verifyChannelAuth(app, auth, '1.2', 'presence-room', channelData.replace('Ada', 'Eve')), 'changed user_info');
    assert.ok(!verifyChannelAuth(app, auth, '1.2', 'presence-room'), 'channel_data left out');
  });

  test('user authentication for pusher:signin from the SDK verifies, and ours is identical', () => {
    const { auth, user_data: userData } = sdk.authenticateUser('9.9', { id: '42', name: 'Ada' });
    assert.ok(verifyUserAuth(app, auth, '9.9', userData));
    assert.equal(signUserAuth(app, '9.9', userData), auth);
    assert.ok(!verifyUserAuth(app, auth, '9.9', userData.replace('42', '43')));
    assert.ok(!verifyUserAuth(app, auth, '9.8', userData));
    // A channel signature is not a user signature, and the other way round.
    assert.ok(!verifyChannelAuth(app, auth, '9.9', 'private-x'));
  });

  test('auth for another app key, or malformed auth, is refused without throwing', () => {
    const good = signChannelAuth(app, '1.1', 'private-a');
    const sig = good.split(':')[1]!;
    const refused: unknown[] = [
      `otherkey:${sig}`,
      sig,
      `${app.key}:${sig.toUpperCase()}`,
      `${app.key}:${sig.slice(0, 63)}`,
      `${app.key}:${sig}0`,
      `${app.key}:`,
      `${app.key}:${'é'.repeat(64)}`,
      '',
      null,
      undefined,
      42,
      { auth: good },
    ];
    for (const auth of refused) assert.equal(verifyChannelAuth(app, auth, '1.1', 'private-a'), false, String(auth));
    assert.ok(verifyChannelAuth(app, good, '1.1', 'private-a'));
  });

  test('signature comparison takes only 64 lower-case hex digits and never throws on other lengths', () => {
    const expected = 'a'.repeat(64);
    assert.ok(signatureMatches(expected, 'a'.repeat(64)));
    for (const s of ['a'.repeat(63), 'a'.repeat(65), 'A'.repeat(64), 'g'.repeat(64), '', 'ü'.repeat(32), 12, null]) {
      assert.equal(signatureMatches(expected, s), false, String(s));
    }
  });
});

interface Captured {
  method: string;
  path: string;
  query: string;
  body: string;
}

describe('HTTP API request signatures', () => {
  let server: Server;
  let client: Pusher;
  const captured: Captured[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '';
        const q = url.indexOf('?');
        captured.push({ method: req.method ?? '', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(port), useTLS: false });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function capture(call: () => Promise<unknown>): Promise<Captured> {
    captured.length = 0;
    await call();
    assert.equal(captured.length, 1);
    return captured[0]!;
  }

  const verify = (req: SignableRequest, windowSeconds = 600, nowSeconds = now()) => verifySignedRequest(app, req, { nowSeconds, windowSeconds });

  test('matches the worked example of Pusher\'s HTTP API reference', () => {
    const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
    const query =
      'auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f' +
      '&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c';
    const r = verify({ method: 'POST', path: '/apps/3/events', query, body }, 600, 1353088179 + 30);
    assert.ok(r.ok, JSON.stringify(r));
  });

  test('every request the pusher SDK sends verifies, and hands back the signed parameters', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['trigger', () => client.trigger('news', 'update', { headline: 'hi' })],
      ['trigger with socket_id', () => client.trigger(['a', 'b'], 'update', 'x', { socket_id: '1.2' })],
      ['triggerBatch', () => client.triggerBatch([{ channel: 'a', name: 'e', data: '1' }])],
      ['get channels', () => client.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count,subscription_count' } })],
      ['get channel', () => client.get({ path: '/channels/presence-room', params: { info: 'user_count' } })],
      ['get users', () => client.get({ path: '/channels/presence-room/users' })],
      ['terminate', () => client.terminateUserConnections('42')],
      ['sendToUser', () => client.sendToUser('42', 'hello', { a: 1 })],
    ];
    for (const [name, call] of calls) {
      const req = await capture(call);
      const r = verify(req);
      assert.ok(r.ok, `${name}: ${JSON.stringify(r)}`);
      assert.equal(r.params.get('auth_key'), app.key);
      if (name === 'get channels') assert.equal(r.params.get('info'), 'user_count,subscription_count');
      if (req.body) assert.ok(r.params.has('body_md5'), `${name} signs its body`);
    }
  });

  test('a signed request whose method, path, query or body changed is refused', async () => {
    const req = await capture(() => client.trigger('news', 'update', { headline: 'hi' }));
    assert.deepEqual(verify({ ...req, method: 'PUT' }), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify({ ...req, path: '/apps/4/events' }), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify({ ...req, query: req.query + '&socket_id=1.1' }), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verify({ ...req, body: req.body.replace('hi', 'ho') }), { ok: false, reason: 'body_md5_mismatch' });
    assert.deepEqual(verify({ ...req, body: '' }), { ok: false, reason: 'body_md5_mismatch' });
    const sig = /auth_signature=([0-9a-f]+)/.exec(req.query)![1]!;
    assert.deepEqual(verify({ ...req, query: req.query.replace(sig, sig.slice(0, 40)) }), { ok: false, reason: 'bad_signature' });
  });

  test('a body without body_md5 is refused even when the signature covers the rest', () => {
    const query = signRequest(app, { method: 'POST', path: '/apps/3/events' }, now());
    assert.deepEqual(verify({ method: 'POST', path: '/apps/3/events', query, body: '{"name":"x"}' }), { ok: false, reason: 'body_md5_mismatch' });
  });

  test('auth_timestamp must lie within the window, in both directions', async () => {
    const req = await capture(() => client.get({ path: '/channels' }));
    const ts = Number(new URLSearchParams(req.query).get('auth_timestamp'));
    assert.ok(verify(req, 600, ts + 600).ok);
    assert.ok(verify(req, 600, ts - 600).ok);
    assert.deepEqual(verify(req, 600, ts + 601), { ok: false, reason: 'expired' });
    assert.deepEqual(verify(req, 600, ts - 601), { ok: false, reason: 'expired' });
    assert.deepEqual(verify(req, 30, ts + 31), { ok: false, reason: 'expired' });
  });

  test('missing, repeated or foreign auth parameters are refused by name', async () => {
    const req = await capture(() => client.get({ path: '/channels' }));
    const without = (k: string) => req.query.split('&').filter((p) => !p.startsWith(`${k}=`)).join('&');
    for (const k of ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature']) {
      assert.deepEqual(verify({ ...req, query: without(k) }), { ok: false, reason: 'missing_auth' }, k);
    }
    assert.deepEqual(verify({ ...req, query: req.query + '&auth_key=' + app.key }), { ok: false, reason: 'duplicate_param' });
    assert.deepEqual(verify({ ...req, query: req.query + '&AUTH_KEY=' + app.key }), { ok: false, reason: 'duplicate_param' });
    assert.deepEqual(verify({ ...req, query: req.query.replace('auth_version=1.0', 'auth_version=2.0') }), { ok: false, reason: 'bad_version' });
    assert.deepEqual(verify({ ...req, query: req.query.replace(`auth_key=${app.key}`, 'auth_key=other') }), { ok: false, reason: 'wrong_key' });
    assert.deepEqual(verify({ ...req, query: req.query.replace(/auth_timestamp=\d+/, 'auth_timestamp=12.5') }), { ok: false, reason: 'bad_timestamp' });
  });

  test('our signer produces what the SDK produces for the same second', async () => {
    const req = await capture(() => client.get({ path: '/channels', params: { filter_by_prefix: 'presence-' } }));
    const sdkParams = new URLSearchParams(req.query);
    const ours = new URLSearchParams(signRequest(app, { method: 'GET', path: req.path, params: { filter_by_prefix: 'presence-' } }, Number(sdkParams.get('auth_timestamp'))));
    assert.equal(ours.get('auth_signature'), sdkParams.get('auth_signature'));
    const viaSdk = new URLSearchParams(client.createSignedQueryString({ method: 'POST', path: '/apps/3/events', body: '{"a":1}' }));
    const body = { method: 'POST', path: '/apps/3/events', body: '{"a":1}' };
    const viaUs = new URLSearchParams(signRequest(app, body, Number(viaSdk.get('auth_timestamp'))));
    assert.equal(viaUs.get('body_md5'), viaSdk.get('body_md5'));
    assert.equal(viaUs.get('auth_signature'), viaSdk.get('auth_signature'));
  });

  test('query keys are lower-cased and values signed unescaped, as the reference says', () => {
    const params = new Map([
      ['auth_key', 'foo'],
      ['name', 'Something else'],
    ]);
    assert.equal(requestStringToSign('get', '/x', params), 'GET\n/x\nauth_key=foo&name=Something else');
    const query = signRequest(app, { method: 'GET', path: '/apps/3/channels', params: { Name: 'Something else' } }, now());
    assert.match(query, /name=Something\+else/);
    assert.ok(verify({ method: 'GET', path: '/apps/3/channels', query: query.replace('name=', 'Name=') }).ok);
  });
});

describe('webhook signatures', () => {
  test('our webhook headers pass the SDK\'s webhook().isValid(), and a changed body does not', () => {
    const body = JSON.stringify({ time_ms: 1, events: [{ name: 'channel_occupied', channel: 'news' }] });
    const headers = webhookHeaders(app, body);
    assert.equal(headers['x-pusher-key'], app.key);
    assert.equal(headers['content-type'], 'application/json');
    assert.ok(sdk.webhook({ headers, rawBody: body }).isValid());
    assert.ok(!sdk.webhook({ headers, rawBody: body.replace('news', 'olds') }).isValid());
    assert.ok(verifyWebhookSignature(app, headers['x-pusher-key'], headers['x-pusher-signature'], body));
    assert.ok(!verifyWebhookSignature(app, 'other', headers['x-pusher-signature'], body));
    assert.ok(!verifyWebhookSignature(app, app.key, 'short', body));
  });
});
