// Prints a viewer token: npm run token -- --room R --grants watch,chat --ttl 2h
import { loadConfig } from '../config/load-config.js';
import { resolveStreamSecret } from '../config/stream-secret.js';
import { deriveTokenKey, mintToken, parseTtl } from '../core/viewer-token.js';
import { GRANTS, isGrant, isValidRoomName, type Grant } from '../protocol/index.js';

const USAGE = `usage: npm run token -- --room ROOM [--grants ${GRANTS.join(',')}] [--ttl 2h] [--stream-secret S] [--data-dir DIR]
  --grants  what the token allows, comma-separated (default watch,chat)
  --ttl     how long it is valid: 90s, 15m, 2h, 7d (default 24h, at most 30d)
Prints only the token. A viewer link: /viewer/ROOM?token=TOKEN
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

const own = new Map<string, string>();
const rest: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  const eq = arg.indexOf('=');
  const name = eq > 0 ? arg.slice(0, eq) : arg;
  if (name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (name === '--room' || name === '--grants' || name === '--ttl') {
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) fail(`${name} needs a value`);
    own.set(name, value);
  } else {
    rest.push(arg);
  }
}

const room = own.get('--room') ?? '';
if (!isValidRoomName(room)) fail(room ? `not a room name: ${JSON.stringify(room)}` : '--room is required');
const grants = (own.get('--grants') ?? 'watch,chat').split(',').map((g) => g.trim()).filter(Boolean);
if (grants.length === 0 || !grants.every(isGrant)) fail(`--grants takes ${GRANTS.join(', ')}`);
const ttl = parseTtl(own.get('--ttl') ?? '24h');
if (ttl === null) fail('--ttl takes a duration such as 90s, 15m, 2h or 7d, at most 30d');

const config = loadConfig({ env: process.env, argv: rest, envFile: '.env' });
const { secret } = resolveStreamSecret(config.streamSecret, config.dataDir);
process.stdout.write(mintToken(deriveTokenKey(secret), room, grants as Grant[], ttl).token + '\n');
