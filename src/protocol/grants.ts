/**
 * What a viewer token allows in its room. `watch`: connect, see frames, snapshots and MJPEG;
 * `chat`: post to the chat; `moderate`: moderation actions; `publish`: broadcast instead of the
 * stream key. In a public room everyone has `watch` and `chat` without a token.
 */
export const GRANTS = ['watch', 'chat', 'moderate', 'publish'] as const;
export type Grant = (typeof GRANTS)[number];

export function isGrant(value: unknown): value is Grant {
  return typeof value === 'string' && (GRANTS as readonly string[]).includes(value);
}
