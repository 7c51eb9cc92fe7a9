import type { AudienceMember } from '../../protocol/index.js';
import type { AudienceRoster, TransitionListener } from './audience-roster.js';

interface Person {
  who: AudienceMember;
  conns: Set<object>;
}

/** Rooms' members in this process only (no presence channels): for a core without transports. */
export class MemoryAudienceRoster implements AudienceRoster {
  private readonly rooms = new Map<string, Map<string, Person>>();
  private readonly conns = new Map<object, { room: string; id: string }>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private transition: TransitionListener = () => {};

  async join(room: string, conn: object, who: AudienceMember): Promise<boolean> {
    let people = this.rooms.get(room);
    if (!people) this.rooms.set(room, (people = new Map()));
    let p = people.get(who.id);
    const first = !p;
    if (!p) people.set(who.id, (p = { who, conns: new Set() }));
    p.who = who;
    p.conns.add(conn);
    this.conns.set(conn, { room, id: who.id });
    if (first) this.changed(room, who.id, true);
    return true;
  }

  leave(room: string, conn: object): void {
    const c = this.conns.get(conn);
    if (!c || c.room !== room) return;
    this.conns.delete(conn);
    const people = this.rooms.get(room);
    const p = people?.get(c.id);
    if (!people || !p) return;
    p.conns.delete(conn);
    if (p.conns.size > 0) return;
    people.delete(c.id);
    if (people.size === 0) this.rooms.delete(room);
    this.changed(room, c.id, false);
  }

  async members(room: string): Promise<AudienceMember[]> {
    return [...(this.rooms.get(room)?.values() ?? [])].map((p) => p.who);
  }

  watch(room: string, onChange: () => void): () => void {
    let w = this.watchers.get(room);
    if (!w) this.watchers.set(room, (w = new Set()));
    w.add(onChange);
    return () => {
      w.delete(onChange);
      if (w.size === 0 && this.watchers.get(room) === w) this.watchers.delete(room);
    };
  }

  onTransition(listener: TransitionListener): void {
    this.transition = listener;
  }

  private changed(room: string, id: string, joined: boolean): void {
    this.transition(room, id, joined);
    for (const w of [...(this.watchers.get(room) ?? [])]) w();
  }
}
