// Pusher channel names: at most 164 characters, prefix included, of A-Z a-z 0-9 and _ - = @ , . ;
// The prefix decides the kind and is only a prefix at the very start ("my-private-x" is public).

export const MAX_CHANNEL_NAME_LENGTH = 164;
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]+$/;

/** The channel pusher-js subscribes after pusher:signin, to receive events sent to its user. */
export const SERVER_TO_USER_PREFIX = '#server-to-user-';

export type ChannelKind = 'public' | 'private' | 'encrypted' | 'presence' | 'server-to-user';

export interface ChannelClass {
  ok: true;
  kind: ChannelKind;
  /** Cache channels keep their last event for new subscribers (or send pusher:cache_miss). */
  cache: boolean;
  /** Whether subscribing needs a signed `auth` (private, encrypted and presence channels). */
  needsAuth: boolean;
  /** The user a #server-to-user- channel belongs to. */
  userId?: string;
}

export interface ChannelNameError {
  ok: false;
  reason: 'empty' | 'too_long' | 'bad_characters';
}

// Longest first: "private-encrypted-cache-" must win over "private-encrypted-" and "private-".
const PREFIXES: readonly (readonly [string, ChannelKind, boolean])[] = [
  ['private-encrypted-cache-', 'encrypted', true],
  ['private-encrypted-', 'encrypted', false],
  ['private-cache-', 'private', true],
  ['private-', 'private', false],
  ['presence-cache-', 'presence', true],
  ['presence-', 'presence', false],
  ['cache-', 'public', true],
];

export function classifyChannel(name: string): ChannelClass | ChannelNameError {
  if (name.startsWith(SERVER_TO_USER_PREFIX)) {
    const userId = name.slice(SERVER_TO_USER_PREFIX.length);
    const bad = checkCharacters(userId);
    if (bad) return bad;
    return { ok: true, kind: 'server-to-user', cache: false, needsAuth: false, userId };
  }
  const bad = checkCharacters(name);
  if (bad) return bad;
  for (const [prefix, kind, cache] of PREFIXES) {
    if (name.startsWith(prefix)) return { ok: true, kind, cache, needsAuth: kind !== 'public' };
  }
  return { ok: true, kind: 'public', cache: false, needsAuth: false };
}

function checkCharacters(s: string): ChannelNameError | null {
  if (s.length === 0) return { ok: false, reason: 'empty' };
  if (s.length > MAX_CHANNEL_NAME_LENGTH) return { ok: false, reason: 'too_long' };
  if (!CHANNEL_NAME.test(s)) return { ok: false, reason: 'bad_characters' };
  return null;
}

export function isValidChannelName(name: string): boolean {
  return classifyChannel(name).ok;
}

/** The #server-to-user- channel of a user id, or null when the id cannot form a channel name. */
export function serverToUserChannel(userId: string): string | null {
  return checkCharacters(userId) ? null : SERVER_TO_USER_PREFIX + userId;
}
