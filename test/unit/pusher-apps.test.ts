import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { loadPusherApps, type PusherAppsSettings } from '../../src/config/pusher-apps/load-pusher-apps.js';
import { parsePusherApp } from '../../src/config/pusher-apps/parse-pusher-app.js';
import { PUSHER_APP_DEFAULTS } from '../../src/config/pusher-apps/pusher-app.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'beamcast-apps-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const base = (over: Partial<PusherAppsSettings> = {}): PusherAppsSettings => ({
  pusherAppId: '',
  pusherAppKey: '',
  pusherAppSecret: '',
  appsFile: '',
  dataDir: tempDir(),
  ...over,
});

function appsFile(content: unknown): string {
  const f = join(tempDir(), 'apps.json');
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

const creds = { id: 'app-1', key: 'key-1', secret: 'secret-1' };
const parse = (entry: Record<string, unknown>) => parsePusherApp({ ...creds, ...entry }, 'apps[0]');
const throwsConfig = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof ConfigError && re.test(e.message), re.source);

describe('one app entry', () => {
  test('gets Pusher\'s defaults: client events off, 10 KB messages, 100 presence members', () => {
    const { app, warnings } = parse({});
    assert.deepEqual(app, { ...creds, ...PUSHER_APP_DEFAULTS });
    assert.equal(app.enableClientMessages, false);
    assert.equal(app.maxMessageSize, 10 * 1024);
    assert.equal(app.maxConnections, null);
    assert.deepEqual(warnings, []);
  });

  test('reads soketi\'s camelCase names', () => {
    const { app } = parsePusherApp(
      {
        id: 'a',
        key: 'k',
        secret: 's',
        maxConnections: 100,
        enableClientMessages: true,
        enabled: false,
        maxClientEventsPerSecond: 20,
        maxPresenceMembersPerChannel: 50,
        maxPresenceMemberSizeInKb: 0.5,
        maxEventPayloadInKb: 100,
        maxEventChannelsAtOnce: 10,
        maxEventBatchSize: 5,
        enableUserAuthentication: true,
        webhooks: [{ url: 'https://hooks.example.org/p', event_types: ['channel_occupied'] }],
      },
      'x',
    );
    assert.equal(app.maxConnections, 100);
    assert.equal(app.enableClientMessages, true);
    assert.equal(app.enabled, false);
    assert.equal(app.maxClientEventsPerSecond, 20);
    assert.equal(app.maxPresenceMembersPerChannel, 50);
    assert.equal(app.maxPresenceMemberBytes, 512);
    assert.equal(app.maxEventPayloadBytes, 100 * 1024);
    assert.equal(app.maxEventChannelsAtOnce, 10);
    assert.equal(app.maxEventBatchSize, 5);
    assert.equal(app.enableUserAuthentication, true);
    assert.deepEqual(app.webhooks, [{ url: 'https://hooks.example.org/p', eventTypes: ['channel_occupied'], headers: {}, channelPrefix: null, channelSuffix: null }]);
  });

  test('reads soketi\'s PascalCase and snake_case names, with numbers and booleans given as strings', () => {
    const { app } = parsePusherApp(
      { AppId: 1, AppKey: 'k', AppSecret: 's', MaxConnections: '7', EnableClientMessages: 'true', max_client_events_per_sec: '-1', max_presence_members_per_channel: '3' },
      'x',
    );
    assert.equal(app.id, '1');
    assert.equal(app.maxConnections, 7);
    assert.equal(app.enableClientMessages, true);
    assert.equal(app.maxClientEventsPerSecond, null);
    assert.equal(app.maxPresenceMembersPerChannel, 3);
  });

  test('reads an entry of Reverb\'s config/reverb.php as written there', () => {
    const reverb = {
      key: 'my-key',
      secret: 'my-secret',
      app_id: '123456',
      options: { host: 'localhost', port: 443, scheme: 'https', useTLS: true },
      allowed_origins: ['*'],
      ping_interval: 60,
      activity_timeout: 30,
      max_connections: null,
      max_message_size: 10_000,
      accept_client_events_from: 'members',
      rate_limiting: { enabled: true, max_attempts: 60, decay_seconds: 60, terminate_on_limit: false },
    };
    const { app, warnings } = parsePusherApp(reverb, 'x');
    assert.equal(app.id, '123456');
    assert.equal(app.maxConnections, null);
    assert.equal(app.maxMessageSize, 10_000);
    assert.equal(app.pingInterval, 60);
    assert.equal(app.enableClientMessages, true, 'accept_client_events_from enables client events');
    assert.deepEqual(app.messageRateLimit, { maxAttempts: 60, decaySeconds: 60, terminateOnLimit: false });
    assert.deepEqual(warnings, []);
  });

  test('accept_client_events_from "none" disables client events, "all" warns that it means members, and enable_client_messages wins', () => {
    assert.equal(parse({ accept_client_events_from: 'none' }).app.enableClientMessages, false);
    const all = parse({ accept_client_events_from: 'all' });
    assert.equal(all.app.enableClientMessages, true);
    assert.match(all.warnings[0]!, /"all" is treated as "members"/);
    assert.equal(parse({ accept_client_events_from: 'all', enable_client_messages: false }).app.enableClientMessages, false);
  });

  test('fields beamcast has no use for are accepted with a warning naming them', () => {
    const { warnings } = parse({ maxBackendEventsPerSecond: 5, max_channel_name_length: 300 });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^apps\[0\]\.maxBackendEventsPerSecond is ignored/);
    assert.match(warnings[1]!, /max_channel_name_length is ignored: channel names follow Pusher's rule/);
  });

  test('an unknown field, or two spellings of one field, stop the server naming them', () => {
    throwsConfig(() => parse({ max_conections: 5 }), /apps\[0\] has an unknown field "max_conections"/);
    throwsConfig(() => parse({ maxConnections: 5, max_connections: 6 }), /apps\[0\] sets both maxConnections and max_connections/);
  });

  test('missing or malformed credentials are refused naming the field', () => {
    throwsConfig(() => parsePusherApp({ key: 'k', secret: 's' }, 'apps[1]'), /apps\[1\]\.id must be 1-128 characters .* \(missing\)/);
    throwsConfig(() => parse({ key: 'has space' }), /apps\[0\]\.key must be 1-128 characters/);
    throwsConfig(() => parse({ key: 'a/b' }), /apps\[0\]\.key must be/);
    throwsConfig(() => parse({ secret: 'two words' }), /apps\[0\]\.secret must be a non-empty string without spaces$/);
    assert.throws(() => parse({ secret: 'leaked words' }), (e: Error) => !e.message.includes('leaked'), 'a bad secret is not repeated in the error');
    throwsConfig(() => parse({ id: -1 }), /apps\[0\]\.id must be/);
    throwsConfig(() => parsePusherApp('nope', 'apps[0]'), /apps\[0\] must be an object with id, key and secret/);
  });

  test('values out of range are refused naming the field and what was given', () => {
    throwsConfig(() => parse({ max_connections: 0 }), /apps\[0\]\.max_connections must be an integer from 1 to .*, or null or -1 for no limit, got 0/);
    throwsConfig(() => parse({ maxConnections: 'lots' }), /apps\[0\]\.maxConnections must be an integer/);
    throwsConfig(() => parse({ activity_timeout: 0 }), /activity_timeout must be an integer from 1 to 3600, got 0/);
    throwsConfig(() => parse({ max_message_size: 10.5 }), /max_message_size must be an integer/);
    throwsConfig(() => parse({ enable_client_messages: 'yes' }), /enable_client_messages must be true or false, got "yes"/);
    throwsConfig(() => parse({ maxPresenceMemberSizeInKb: 0 }), /maxPresenceMemberSizeInKb must be a number of KB above 0/);
    throwsConfig(() => parse({ accept_client_events_from: 'everyone' }), /accept_client_events_from must be members, all or none/);
    throwsConfig(() => parse({ rate_limiting: { enabled: true, max_attemps: 3 } }), /rate_limiting has an unknown field "max_attemps"/);
    throwsConfig(() => parse({ rate_limiting: { enabled: true, decay_seconds: 0 } }), /rate_limiting\.decay_seconds must be an integer from 1/);
  });

  test('allowed_origins takes *, full origins and Reverb host patterns, and nothing else', () => {
    assert.deepEqual(parse({ allowed_origins: ['https://a.example.org', '*.example.org', 'localhost:5173', '*'] }).app.allowedOrigins, [
      'https://a.example.org',
      '*.example.org',
      'localhost:5173',
      '*',
    ]);
    assert.deepEqual(parse({ allowedOrigins: ['https://a.example.org/'] }).app.allowedOrigins, ['https://a.example.org']);
    throwsConfig(() => parse({ allowed_origins: [] }), /allowed_origins must be a non-empty list/);
    throwsConfig(() => parse({ allowed_origins: 'https://a.example.org' }), /allowed_origins must be a non-empty list/);
    throwsConfig(() => parse({ allowed_origins: ['https://a.example.org/path'] }), /allowed_origins \[0\] must be \*, an origin/);
    throwsConfig(() => parse({ allowed_origins: ['ftp://a.example.org'] }), /allowed_origins \[0\] must be/);
    throwsConfig(() => parse({ allowed_origins: [''] }), /allowed_origins \[0\] must be a non-empty string/);
  });

  test('webhooks need an http(s) url and known event types; headers and filters are read, Lambda is not supported', () => {
    const { app } = parse({
      webhooks: JSON.stringify([
        {
          url: 'http://127.0.0.1:9000/hook?token=t',
          event_types: ['member_added', 'member_removed', 'member_added'],
          headers: { Authorization: 'Bearer x' },
          filter: { channel_name_starts_with: 'presence-', channel_name_ends_with: '' },
        },
      ]),
    });
    assert.deepEqual(app.webhooks[0], {
      url: 'http://127.0.0.1:9000/hook?token=t',
      eventTypes: ['member_added', 'member_removed'],
      headers: { Authorization: 'Bearer x' },
      channelPrefix: 'presence-',
      channelSuffix: null,
    });
    const hook = (w: Record<string, unknown>) => parse({ webhooks: [{ url: 'https://h.example.org', event_types: ['client_event'], ...w }] });
    throwsConfig(() => hook({ url: 'not a url' }), /webhooks\[0\]\.url must be an http or https URL/);
    throwsConfig(() => hook({ url: 'file:///etc/passwd' }), /webhooks\[0\]\.url must be an http or https URL/);
    throwsConfig(() => hook({ url: 'https://u:p@h.example.org' }), /must not carry a user name or password/);
    throwsConfig(() => hook({ event_types: [] }), /event_types must be a non-empty list/);
    throwsConfig(() => hook({ event_types: ['channel_created'] }), /event_types must contain only .* got "channel_created"/);
    throwsConfig(() => hook({ headers: { 'X-Pusher-Signature': 'forged' } }), /must not set X-Pusher-Signature/);
    throwsConfig(() => hook({ headers: { 'X-A': 'a\r\nB: b' } }), /headers\.X-A must be a single-line string/);
    throwsConfig(() => hook({ lambda_function: 'f' }), /webhooks\[0\]\.lambda_function is not supported/);
    throwsConfig(() => hook({ filter: { channel_name_contains: 'x' } }), /filter has an unknown field/);
    throwsConfig(() => parse({ webhooks: '{not json' }), /webhooks must be a list of webhooks \(or a JSON string of one\)/);
  });
});

describe('where apps come from', () => {
  test('PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET define one app', () => {
    const l = loadPusherApps(base({ pusherAppId: '1', pusherAppKey: 'k', pusherAppSecret: 's' }));
    assert.equal(l.source, 'env');
    assert.deepEqual(l.apps.map((a) => [a.id, a.key, a.secret]), [['1', 'k', 's']]);
    assert.ok(Object.isFrozen(l.apps[0]));
  });

  test('setting only some of the three names the missing ones', () => {
    throwsConfig(() => loadPusherApps(base({ pusherAppId: '1', pusherAppKey: 'k' })), /go together; PUSHER_APP_SECRET missing/);
    throwsConfig(() => loadPusherApps(base({ pusherAppSecret: 's' })), /PUSHER_APP_ID and PUSHER_APP_KEY missing/);
    throwsConfig(() => loadPusherApps(base({ pusherAppId: '1', pusherAppKey: 'a b', pusherAppSecret: 's' })), /Invalid configuration: PUSHER_APP_KEY must be 1-128 characters/);
  });

  test('APPS_FILE lists several apps; together with the environment ids and keys stay unique', () => {
    const f = appsFile({ apps: [{ id: '1', key: 'k1', secret: 's1' }, { app_id: '2', key: 'k2', secret: 's2', maxReadRequestsPerSecond: 1 }] });
    const l = loadPusherApps(base({ appsFile: f }));
    assert.equal(l.source, 'file');
    assert.equal(l.file, f);
    assert.deepEqual(l.apps.map((a) => a.id), ['1', '2']);
    assert.match(l.warnings[0]!, /^APPS_FILE \(.*apps\.json\) apps\[1\]\.maxReadRequestsPerSecond is ignored/);
    const both = loadPusherApps(base({ appsFile: f, pusherAppId: '3', pusherAppKey: 'k3', pusherAppSecret: 's3' }));
    assert.equal(both.source, 'env+file');
    assert.deepEqual(both.apps.map((a) => a.id), ['3', '1', '2']);
    throwsConfig(() => loadPusherApps(base({ appsFile: f, pusherAppId: '9', pusherAppKey: 'k1', pusherAppSecret: 's' })), /two apps have the key "k1"/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile({ apps: [creds, { ...creds, key: 'other' }] }) })), /two apps have the id "app-1"/);
  });

  test('a bad APPS_FILE stops the server naming the file, the app and the field', () => {
    throwsConfig(() => loadPusherApps(base({ appsFile: '/nonexistent/apps.json' })), /APPS_FILE \(\/nonexistent\/apps\.json\) cannot be read: ENOENT/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile('{"apps": [') })), /APPS_FILE \(.*\) is not valid JSON/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile([creds]) })), /must be a JSON object \{"apps": \[/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile({ apps: [] }) })), /lists no apps/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile({ apps: [creds], version: 2 }) })), /unknown field "version"; only "apps" is read/);
    throwsConfig(() => loadPusherApps(base({ appsFile: appsFile({ apps: [creds, { ...creds, id: '2', key: '2', max_connections: 'x' }] }) })), /APPS_FILE \(.*apps\.json\) apps\[1\]\.max_connections must be/);
  });

  test('with nothing configured, an app is generated once into DATA_DIR, readable by its owner only, and reused', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadPusherApps(base({ dataDir }));
    assert.equal(first.source, 'default');
    assert.equal(first.generated, true);
    const app = first.apps[0]!;
    assert.match(app.id, /^\d{6}$/);
    assert.match(app.key, /^[0-9a-f]{20}$/);
    assert.match(app.secret, /^[0-9a-f]{32}$/);
    assert.equal(app.enableClientMessages, false);
    assert.equal(statSync(first.file!).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(first.file!, 'utf8')), { id: app.id, key: app.key, secret: app.secret });
    const again = loadPusherApps(base({ dataDir }));
    assert.equal(again.generated, false);
    assert.deepEqual(again.apps[0], app);
  });

  test('a damaged default app file stops the server instead of silently replacing the credentials', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'pusher-app.json'), '{"id": 1}');
    throwsConfig(() => loadPusherApps(base({ dataDir })), /pusher-app\.json \(the default Pusher app in DATA_DIR\) must hold \{"id", "key", "secret"\} strings; delete it/);
    writeFileSync(join(dataDir, 'pusher-app.json'), 'garbage');
    throwsConfig(() => loadPusherApps(base({ dataDir })), /is not valid JSON/);
  });
});

describe('config schema', () => {
  test('has the Pusher settings, with a 600-second timestamp window by default', () => {
    const c = loadConfig({ env: {}, argv: [] });
    assert.equal(c.pusherAppId, '');
    assert.equal(c.appsFile, '');
    assert.equal(c.pusherTimestampWindow, 600);
    const set = loadConfig({ env: { PUSHER_APP_ID: '1', PUSHER_APP_KEY: 'k', PUSHER_APP_SECRET: 's', APPS_FILE: 'apps.json' }, argv: ['--pusher-timestamp-window', '60'] });
    assert.deepEqual([set.pusherAppId, set.pusherAppKey, set.pusherAppSecret, set.appsFile, set.pusherTimestampWindow], ['1', 'k', 's', 'apps.json', 60]);
    assert.throws(() => loadConfig({ env: { PUSHER_TIMESTAMP_WINDOW: '0' }, argv: [] }), /PUSHER_TIMESTAMP_WINDOW \(--pusher-timestamp-window\) must be an integer from 1 to 86400/);
  });
});
