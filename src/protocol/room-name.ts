/** 1–64 chars of [a-z0-9_-], starting with a letter or digit. */
export const ROOM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidRoomName(name: string): boolean {
  return ROOM_NAME_PATTERN.test(name);
}
