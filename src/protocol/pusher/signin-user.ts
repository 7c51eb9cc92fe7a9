// pusher:signin's user_data: the JSON string the user authentication endpoint signed. It must
// hold a non-empty string `id` (pusher-js drops a sign-in whose id is not one).

import { MAX_USER_ID_LENGTH } from './presence-member.js';

export interface SigninUser {
  id: string;
}

export function parseUserData(userData: string): SigninUser | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(userData);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const id = (parsed as Record<string, unknown>).id;
  if (typeof id !== 'string' || id === '' || id.length > MAX_USER_ID_LENGTH) return null;
  return { id };
}
