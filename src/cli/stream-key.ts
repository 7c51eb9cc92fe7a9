// Prints the stream key of a room: npm run stream-key -- <room>
import { loadConfig } from '../config/load-config.js';
import { resolveStreamSecret } from '../config/stream-secret.js';
import { streamKey } from '../core/stream-key.js';
import { isValidRoomName } from '../protocol/index.js';

const [room, ...rest] = process.argv.slice(2);
if (!room || !isValidRoomName(room)) {
  process.stderr.write('usage: npm run stream-key -- <room> [--stream-secret S] [--data-dir DIR]\n');
  process.exit(2);
}
const config = loadConfig({ env: process.env, argv: rest, envFile: '.env' });
const { secret } = resolveStreamSecret(config.streamSecret, config.dataDir);
process.stdout.write(streamKey(secret, room) + '\n');
