// A presence channel's channel_data: the JSON string the auth endpoint signed, of the form
// {"user_id": "...", "user_info": {...}}. pusher-js keys its member list by user_id, so ids are
// compared as strings (a numeric user_id 10 and "10" are the same member).

export interface PresenceMember {
  userId: string;
  /** Shown to the other members; undefined when the auth endpoint gave none. */
  userInfo: unknown;
  /** UTF-8 size of user_info as JSON, for the app's member size limit. */
  userInfoBytes: number;
}

export const MAX_USER_ID_LENGTH = 200;

export function parseChannelData(channelData: string): PresenceMember | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(channelData);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { user_id: rawId, user_info: userInfo } = parsed as Record<string, unknown>;
  let userId: string;
  if (typeof rawId === 'string') userId = rawId;
  else if (typeof rawId === 'number' && Number.isSafeInteger(rawId)) userId = String(rawId);
  else return null;
  if (userId === '' || userId.length > MAX_USER_ID_LENGTH) return null;
  const userInfoBytes = userInfo === undefined ? 0 : utf8Length(JSON.stringify(userInfo));
  return { userId, userInfo, userInfoBytes };
}

// src/protocol is shared with the pages, so no Buffer here.
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
