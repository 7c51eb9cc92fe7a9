import type { AudienceMember, ChatMessage, ModerateRequest } from '../../src/protocol/index.js';
import { el } from './dom.js';

/** Sends a moderation action (the page's socket). */
export type Moderate = (req: Omit<ModerateRequest, 'type'>) => void;

// What the buttons do: a mute of ten minutes, a ban of an hour (the server's defaults, said here in words).
export const MUTE_SECONDS = 600;
export const BAN_SECONDS = 3600;

function button(label: string, title: string, action: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'mod-action', label);
  b.type = 'button';
  b.title = title;
  b.dataset.action = action;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

/** The person behind a message or a list entry, as far as acting on them goes. */
interface Person {
  id: string;
  name: string;
  role: string;
}

/** Mute, kick and ban for a person: none for the broadcaster, the server, oneself or a Pusher follower. */
export function personActions(who: Person, youId: string, moderate: () => Moderate | null): HTMLElement[] {
  if (who.role === 'broadcaster' || who.role === 'server' || who.role === 'follower' || who.id === youId) return [];
  const act = (req: Omit<ModerateRequest, 'type'>) => moderate()?.(req);
  return [
    button('Mute', `Mute ${who.name} for ${MUTE_SECONDS / 60} minutes`, 'mute', () => act({ action: 'mute', target: who.id, seconds: MUTE_SECONDS })),
    button('Kick', `Remove ${who.name} from the room (they may come back)`, 'kick', () => act({ action: 'kick', target: who.id })),
    button('Ban', `Ban ${who.name} for an hour`, 'ban', () => act({ action: 'ban', target: who.id, seconds: BAN_SECONDS })),
  ];
}

/** The moderator's buttons next to a chat message: delete it, and act on who said it. */
export function messageActions(m: ChatMessage, youId: string, moderate: () => Moderate | null): HTMLElement {
  const box = el('span', 'chat-actions');
  box.append(
    button('Delete', 'Delete this message for everyone', 'delete', () => moderate()?.({ action: 'delete', id: m.id })),
    ...personActions(m.from, youId, moderate),
  );
  return box;
}

export function memberActions(m: AudienceMember, youId: string, moderate: () => Moderate | null): HTMLElement | null {
  const buttons = personActions(m, youId, moderate);
  if (buttons.length === 0) return null;
  const box = el('span', 'member-actions');
  box.append(...buttons);
  return box;
}
