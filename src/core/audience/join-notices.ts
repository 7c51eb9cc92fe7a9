import type { ChatKind, NoticePerson } from '../../protocol/index.js';
import type { ChatDraft } from '../broker/broker.js';
import { ROOM_SENDER } from '../chat-record.js';

/** People a notice names; beyond it, it counts ("12 people joined"). */
export const NOTICE_NAMES = 3;

/** A notice in words: "maria joined", "maria and tom left", "maria, tom and ann joined", "12 people joined". */
export function noticeText(kind: 'join' | 'leave', people: readonly NoticePerson[], count: number): string {
  const verb = kind === 'join' ? 'joined' : 'left';
  if (count > NOTICE_NAMES || people.length === 0) return `${count} ${count === 1 ? 'person' : 'people'} ${verb}`;
  const names = people.map((p) => p.name);
  const last = names.pop()!;
  return `${names.length > 0 ? `${names.join(', ')} and ${last}` : last} ${verb}`;
}

export function noticeDraft(kind: 'join' | 'leave', people: readonly NoticePerson[], at: number): ChatDraft {
  const shown = people.slice(0, NOTICE_NAMES).map(({ id, name, color }) => ({ id, name, color }));
  const k: ChatKind = kind;
  return { type: 'chat', at, from: ROOM_SENDER, text: noticeText(kind, shown, people.length), kind: k, people: shown, count: people.length };
}

/**
 * Joins and leaves of one room, collected over a short window and told in one notice each: a
 * busy room gets "12 people joined" once rather than twelve lines. Someone who joins and leaves
 * within one window is not told of at all.
 */
export class JoinNotices {
  private joined: NoticePerson[] = [];
  private left: NoticePerson[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly flush: (joined: NoticePerson[], left: NoticePerson[]) => void,
  ) {}

  add(kind: 'join' | 'leave', person: NoticePerson): void {
    const [mine, other] = kind === 'join' ? [this.joined, this.left] : [this.left, this.joined];
    const i = other.findIndex((p) => p.id === person.id);
    if (i >= 0) other.splice(i, 1);
    else if (!mine.some((p) => p.id === person.id)) mine.push(person);
    this.timer ??= setTimeout(() => this.fire(), this.windowMs);
    this.timer.unref();
  }

  /** Someone whose join is still to be told is about to say something: tell it first. */
  flushFor(id: string): void {
    if (this.timer && this.joined.some((p) => p.id === id)) {
      clearTimeout(this.timer);
      this.fire();
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.joined = [];
    this.left = [];
  }

  private fire(): void {
    this.timer = null;
    const { joined, left } = this;
    this.joined = [];
    this.left = [];
    if (joined.length > 0 || left.length > 0) this.flush(joined, left);
  }
}
