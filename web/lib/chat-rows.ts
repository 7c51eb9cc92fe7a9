import type { ChatMessage } from '../../src/protocol/index.js';
import { messageActions, type Moderate } from './chat-moderation.js';
import { el } from './dom.js';
import { clockTime } from './format.js';
import { NameTags } from './name-tags.js';

export interface RowContext {
  youId: string;
  tags: NameTags;
  moderate: () => Moderate | null;
}

const REMOVED = 'message removed by a moderator';

function time(at: number): HTMLElement {
  const t = el('time', 'chat-time', clockTime(at));
  t.dateTime = new Date(at).toISOString();
  return t;
}

/** A chat row: what a person said (or a tombstone of it), or the room's own notice. */
export function chatRow(m: ChatMessage, ctx: RowContext): HTMLElement {
  if (m.kind) {
    const row = el('li', `chat-msg chat-notice notice-${m.kind}`);
    row.dataset.id = String(m.id);
    row.append(time(m.at), el('span', 'chat-text', m.text));
    return row;
  }
  const role = m.from.role === 'broadcaster' ? ' from-broadcaster' : m.from.role === 'server' ? ' from-server' : '';
  const row = el('li', `chat-msg${role}${m.from.id === ctx.youId ? ' mine' : ''}`);
  row.dataset.id = String(m.id);
  row.dataset.from = m.from.id;
  row.dataset.name = NameTags.key(m.from.name);
  const who = el('span', 'chat-name', m.from.name);
  who.style.color = m.from.color;
  if (m.from.role === 'broadcaster') who.title = 'broadcaster';
  else if (m.from.role === 'server') who.title = 'posted by the site, not by a viewer';
  ctx.tags.see(m.from.name, m.from.id);
  const tag = el('span', 'chat-tag', ctx.tags.tag(m.from.name, m.from.id));
  tag.title = 'Someone else here has the same name: this tells them apart';
  row.append(time(m.at), who, tag, el('span', 'chat-text', m.deleted ? REMOVED : m.text));
  if (m.deleted) row.classList.add('removed');
  else row.append(messageActions(m, ctx.youId, ctx.moderate));
  return row;
}

/** A row whose message a moderator removed: the words go, who and when stay. */
export function removeRow(row: HTMLElement): void {
  if (row.classList.contains('removed') || row.classList.contains('chat-notice')) return;
  row.classList.add('removed');
  row.querySelector('.chat-text')!.textContent = REMOVED;
  row.querySelector('.chat-actions')?.remove();
}
