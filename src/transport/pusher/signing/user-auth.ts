// User authentication for pusher:signin, as the Pusher server SDKs sign it (authenticateUser):
//   auth = key + ":" + HMAC-SHA256(secret, socket_id + "::user::" + user_data)
// user_data is signed as the exact string the client sends back.

import type { AppCredentials } from './channel-auth.js';
import { signatureFor } from './channel-auth.js';
import { hmacSha256Hex, signatureMatches } from './hmac.js';

export function signUserAuth(app: AppCredentials, socketId: string, userData: string): string {
  return `${app.key}:${hmacSha256Hex(app.secret, `${socketId}::user::${userData}`)}`;
}

export function verifyUserAuth(app: AppCredentials, auth: unknown, socketId: string, userData: string): boolean {
  const signature = signatureFor(app, auth);
  if (signature === null) return false;
  return signatureMatches(hmacSha256Hex(app.secret, `${socketId}::user::${userData}`), signature);
}
