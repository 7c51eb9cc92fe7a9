import type { ChatMessage, Sender } from '../protocol/index.js';
import type { ChatDraft } from './broker/broker.js';

/** Who the room's own messages are from: join and leave notices, moderators' markers. */
export const ROOM_SENDER: Sender = { id: 'server', name: 'beamcast', color: 'hsl(210, 12%, 62%)', role: 'server' };

/**
 * A chat message as every store keeps and every node announces it: the known fields only, in
 * the wire's order (type and id first). A draft's other properties never reach the log.
 */
export function chatRecord(draft: ChatDraft, id: number): ChatMessage {
  const m: ChatMessage = { type: 'chat', id, at: draft.at, from: draft.from, text: draft.text };
  if (draft.ref !== undefined) m.ref = draft.ref;
  if (draft.kind !== undefined) m.kind = draft.kind;
  if (draft.people !== undefined) m.people = draft.people;
  if (draft.count !== undefined) m.count = draft.count;
  if (draft.target !== undefined) m.target = draft.target;
  if (draft.deleted) m.deleted = true;
  return m;
}

/** Whether a moderator may remove the message: something a person (or a backend) said, not removed yet. */
export function isRemovable(m: ChatMessage): boolean {
  return m.kind === undefined && !m.deleted;
}

/** What is left of a removed message: who said it and when, not what (nor its ref). */
export function tombstone(m: ChatMessage): ChatMessage {
  return { type: 'chat', id: m.id, at: m.at, from: m.from, text: '', deleted: true };
}

/** Which messages a redaction covers: these ids, or every one up to and including `through`. */
export type Redaction = { ids: readonly number[] } | { through: number };

export function redacts(r: Redaction, id: number): boolean {
  return 'through' in r ? id <= r.through : r.ids.includes(id);
}

/**
 * Applies moderators' markers to a slice of a log, oldest first: a `delete` turns its target into
 * a tombstone, a `clear` drops everything before it. Returns the messages as they are shown.
 */
export function applyMarkers(messages: readonly ChatMessage[]): ChatMessage[] {
  let out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.kind === 'clear') out = [];
    else if (m.kind === 'delete' && m.target !== undefined) {
      const i = out.findIndex((x) => x.id === m.target);
      if (i >= 0 && isRemovable(out[i]!)) out[i] = tombstone(out[i]!);
    }
    out.push(m);
  }
  return out;
}
