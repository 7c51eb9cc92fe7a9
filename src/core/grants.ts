import { GRANTS, type Grant, type Role } from '../protocol/index.js';

/** What everyone may do in a public room without a token. */
export const PUBLIC_GRANTS: readonly Grant[] = ['watch', 'chat'];

/**
 * What a connection may do in a room now. The broadcaster (stream key, or a token with
 * `publish`) may do everything; in a public room everyone watches and chats, plus what a token
 * adds; in a private room only what a token grants. `tokenGrants` null: no valid token.
 */
export function effectiveGrants(role: Role, tokenGrants: readonly Grant[] | null, isPrivate: boolean): Grant[] {
  if (role === 'broadcaster') return [...GRANTS];
  const have = new Set<Grant>(tokenGrants ?? []);
  if (!isPrivate) for (const g of PUBLIC_GRANTS) have.add(g);
  return GRANTS.filter((g) => have.has(g));
}
