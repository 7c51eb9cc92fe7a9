import { store } from './dom.js';

/**
 * This browser's identity: a random secret kept in local storage and sent as `identity=`, so the
 * server gives this person the same id, colour and "you" after every reconnect. It is never
 * shown; whoever holds it is this person in every room of this server. The camera page keeps one
 * of its own: a broadcaster who watches their own room in another tab is two people there, the
 * broadcaster and a viewer, not one person in two roles.
 */
export function pageIdentity(as: 'viewer' | 'broadcaster' = 'viewer'): string {
  const key = as === 'viewer' ? 'identity' : 'identity.broadcaster';
  const kept = store.get(key);
  if (kept && /^[A-Za-z0-9_-]{16,128}$/.test(kept)) return kept;
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const made = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  store.set(key, made);
  return made;
}
