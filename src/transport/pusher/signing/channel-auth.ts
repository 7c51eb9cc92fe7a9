// Channel authorization, as the Pusher server SDKs sign it (authorizeChannel):
//   private and encrypted: auth = key + ":" + HMAC-SHA256(secret, socket_id + ":" + channel)
//   presence:              auth = key + ":" + HMAC-SHA256(secret, socket_id + ":" + channel + ":" + channel_data)
// channel_data is signed as the exact string the client sends back.

import { hmacSha256Hex, signatureMatches } from './hmac.js';

export interface AppCredentials {
  key: string;
  secret: string;
}

function stringToSign(socketId: string, channel: string, channelData: string | null | undefined): string {
  return channelData == null ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

export function signChannelAuth(app: AppCredentials, socketId: string, channel: string, channelData?: string | null): string {
  return `${app.key}:${hmacSha256Hex(app.secret, stringToSign(socketId, channel, channelData))}`;
}

/** Whether `auth` ("key:signature") authorizes this socket on this channel (with this channel_data). */
export function verifyChannelAuth(
  app: AppCredentials,
  auth: unknown,
  socketId: string,
  channel: string,
  channelData?: string | null,
): boolean {
  const signature = signatureFor(app, auth);
  if (signature === null) return false;
  return signatureMatches(hmacSha256Hex(app.secret, stringToSign(socketId, channel, channelData)), signature);
}

/** The signature part of "key:signature" when the key is this app's; null otherwise. */
export function signatureFor(app: AppCredentials, auth: unknown): string | null {
  if (typeof auth !== 'string') return null;
  const colon = auth.indexOf(':');
  if (colon < 0 || auth.slice(0, colon) !== app.key) return null;
  return auth.slice(colon + 1);
}
