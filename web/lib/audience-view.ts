import type { AudienceMember, AudienceMessage } from '../../src/protocol/index.js';
import { memberActions, type Moderate } from './chat-moderation.js';
import { el } from './dom.js';
import type { NameTags } from './name-tags.js';

export interface AudienceElements {
  /** A <details>: open on wide screens, folded on phones until tapped. */
  box: HTMLDetailsElement;
  summary: HTMLElement;
  list: HTMLElement;
}

const BADGES: Partial<Record<AudienceMember['role'], [string, string]>> = {
  broadcaster: ['host', 'the broadcaster'],
  moderator: ['mod', 'a moderator'],
  follower: ['app', 'following through an app (Pusher), not watching here'],
};

/**
 * Who is in the room: the server's `audience` list (broadcaster first, the first names and the
 * total), with colours, roles, "you", and a tag for names two people share. A moderator gets
 * Mute, Kick and Ban next to each person.
 */
export class AudienceView {
  private youId = '';
  private last: AudienceMessage | null = null;
  private moderator: Moderate | null = null;
  /** The person whose buttons a tap showed: kept across the list's updates. */
  private picked: string | null = null;

  constructor(
    private readonly e: AudienceElements,
    private readonly tags: NameTags,
  ) {
    // Folded on a phone, so the chat keeps its room; open where there is space.
    e.box.open = !matchMedia('(max-width: 560px)').matches;
    // Touch screens have no hover: a tap on a person shows a moderator the buttons.
    e.list.addEventListener('click', (ev) => {
      if (!this.moderator) return;
      if ((ev.target as HTMLElement).closest('.mod-action')) return;
      const row = (ev.target as HTMLElement).closest<HTMLElement>('.audience-member');
      for (const r of e.list.querySelectorAll('.audience-member.picked')) if (r !== row) r.classList.remove('picked');
      this.picked = row?.classList.toggle('picked') ? (row.dataset.id ?? null) : null;
    });
    tags.onShared(() => this.render());
    this.render();
  }

  setYou(id: string): void {
    this.youId = id;
    this.render();
  }

  setModerator(moderate: Moderate | null): void {
    this.moderator = moderate;
    this.e.list.classList.toggle('can-moderate', moderate !== null);
    this.render();
  }

  show(a: AudienceMessage): void {
    this.last = a;
    for (const m of a.members) this.tags.see(m.name, m.id);
    this.render();
  }

  /** A listed person's name, if the list has them. */
  nameOf(id: string): string | undefined {
    return this.last?.members.find((m) => m.id === id)?.name;
  }

  /** The connection is down: the list is the last one known, greyed. */
  stale(stale: boolean): void {
    this.e.box.classList.toggle('stale', stale);
  }

  private render(): void {
    const a = this.last;
    this.e.summary.textContent = a ? `Watching · ${a.total}` : 'Watching';
    if (!a) {
      this.e.list.replaceChildren(el('li', 'audience-empty', 'Nobody listed yet.'));
      return;
    }
    const rows = a.members.map((m) => this.row(m));
    if (a.truncated) rows.push(el('li', 'audience-more', `and ${a.total - a.members.length} more`));
    this.e.list.replaceChildren(...rows);
  }

  private row(m: AudienceMember): HTMLElement {
    const li = el('li', `audience-member role-${m.role}${m.id === this.youId ? ' mine' : ''}${m.id === this.picked ? ' picked' : ''}`);
    li.dataset.id = m.id;
    const dot = el('span', 'audience-dot');
    dot.style.background = m.color;
    const name = el('span', 'audience-name', m.name);
    name.style.color = m.color;
    li.append(dot, name);
    const tag = this.tags.tag(m.name, m.id);
    if (tag) li.append(el('span', 'chat-tag', tag));
    if (m.id === this.youId) li.append(el('span', 'audience-you', 'you'));
    const badge = BADGES[m.role];
    if (badge) {
      const b = el('span', `audience-badge badge-${m.role}`, badge[0]);
      b.title = badge[1];
      li.append(b);
    }
    const actions = this.moderator ? memberActions(m, this.youId, () => this.moderator) : null;
    if (actions) li.append(actions);
    return li;
  }
}
