import type { ChatMessage } from '../protocol/index.js';
import type { RoomChat } from './room-chat.js';

// Room for the fields around `messages` (type, epoch, ids, flags): the whole message stays within the limit.
const ENVELOPE_BYTES = 200;

export interface HistoryPageOptions {
  /** null: a join without `since=`, which gets the newest `tail` messages. */
  since: number | null;
  tail: number;
  maxBytes: number;
}

/**
 * One `history` message as JSON, at most `maxBytes` bytes of UTF-8. Bytes are counted on the
 * serialised messages, not on the text: a control character in chat escapes to six bytes
 * (\u0001), so a log of 500 short-looking messages can serialise to megabytes.
 *
 * - Without `since`: the newest `tail` messages that fit. Older ones are not offered (`more` false).
 * - With `since`: the messages after it, oldest first, as many as fit; when some are left,
 *   `more: true` and `nextSince` (the last id included) to ask for the rest.
 *
 * A page holds at least one message, so paging always makes progress, even past a single
 * message larger than the limit. The work done is bounded by the limit, not by the log.
 */
export function historyPageJson(chat: Pick<RoomChat, 'latestId' | 'last' | 'since'>, chatEpoch: string, opts: HistoryPageOptions): string {
  const budget = opts.maxBytes - ENVELOPE_BYTES;
  const parts: string[] = [];
  let bytes = 0;
  let more = false;
  let truncated = false;
  let nextSince = 0;
  if (opts.since === null) {
    const newest = chat.last(opts.tail);
    for (let i = newest.length - 1; i >= 0; i--) {
      const json = JSON.stringify(newest[i]);
      bytes += Buffer.byteLength(json) + 1;
      if (bytes > budget && parts.length > 0) break;
      parts.push(json);
    }
    parts.reverse();
  } else {
    const after = chat.since(opts.since);
    truncated = after.truncated;
    const messages: ChatMessage[] = after.messages;
    for (const m of messages) {
      const json = JSON.stringify(m);
      bytes += Buffer.byteLength(json) + 1;
      if (bytes > budget && parts.length > 0) {
        more = true;
        break;
      }
      parts.push(json);
      nextSince = m.id;
    }
  }
  return (
    `{"type":"history","chatEpoch":${JSON.stringify(chatEpoch)},"messages":[${parts.join(',')}],` +
    `"latestId":${chat.latestId},"truncated":${truncated},"more":${more}${more ? `,"nextSince":${nextSince}` : ''}}`
  );
}
