import { ErrorCodes, checkName, type ChatMessage, type ErrorMessage, type Limits, type Sender } from '../../src/protocol/index.js';
import type { ChatSyncResult } from './chat-sync.js';
import { el, store } from './dom.js';
import { clockTime } from './format.js';
import type { RoomSocket } from './room-socket.js';

export interface ChatViewElements {
  log: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  name: HTMLInputElement;
  error: HTMLElement;
  more: HTMLButtonElement;
}

// Within this many pixels of the bottom counts as "at the bottom": keep following new messages.
const STICK_PX = 40;
const CHAT_ERRORS = new Set(['CHAT_EMPTY', 'CHAT_TOO_LONG', 'CHAT_RATE_LIMITED', 'CHAT_UNAVAILABLE', 'NAME_TOO_LONG', 'BAD_NAME', 'NAME_RESERVED', 'NOT_ALLOWED']);
const NO_CHAT = 'Your link lets you watch this private room, not chat in it.';
const NAME_WORDS: Record<string, string> = {
  NAME_TOO_LONG: 'That name is too long.',
  BAD_NAME: 'Names cannot contain invisible or control characters.',
  NAME_RESERVED: "That name is the broadcaster's: you appear under another name.",
};
// Until the server says otherwise (welcome.limits.maxNameLength).
const DEFAULT_MAX_NAME = 32;
// A sent message whose echo has not come back by then is no longer waited for (the text stays).
const PENDING_MS = 10_000;
// Refs are echoed to everyone in the room and kept in history: a per-page prefix makes ours ours.
const REF_PREFIX = Math.random().toString(36).slice(2, 8);

/** The message on its way: its text leaves the box only when the server's echo of it arrives. */
interface Pending {
  ref: string;
  text: string;
  /** The connection it went out on (its welcome): after a reconnect, Enter sends it again. */
  conn: object | null;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The room chat: messages ordered by id and de-duplicated (history and live messages overlap after
 * a reconnect), text rendered as text, auto-scroll that pauses while the user reads older messages.
 */
export class ChatView {
  private readonly rows = new Map<number, HTMLElement>();
  private socket: RoomSocket | null = null;
  private refs = 0;
  private youId = '';
  private errorTimer: ReturnType<typeof setTimeout> | null = null;
  private maxNameLength = DEFAULT_MAX_NAME;
  private pending: Pending | null = null;
  private chatRatePerSec = 0;
  /** After a CHAT_RATE_LIMITED refusal: when (performance.now()) the server takes a message again. */
  private blockedUntil = 0;
  private countdown: ReturnType<typeof setInterval> | null = null;
  onNameChange: (name: string) => void = () => {};

  constructor(private readonly e: ChatViewElements) {
    e.name.value = store.get('name') ?? '';
    e.name.addEventListener('change', () => {
      // The server's rule, checked here so a bad name is explained instead of refusing the connection.
      const checked = checkName(e.name.value, this.maxNameLength);
      if (!checked.ok) return this.error(NAME_WORDS[checked.code]!);
      store.set('name', checked.name);
      this.onNameChange(checked.name);
    });
    e.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.send();
    });
    e.log.addEventListener('scroll', () => {
      if (this.atBottom()) e.more.hidden = true;
    });
    e.more.addEventListener('click', () => this.scrollToEnd());
    this.renderEmpty();
  }

  /** The chosen name as the server will take it; '' (the server picks one) while it is not valid. */
  get name(): string {
    const checked = checkName(this.e.name.value, this.maxNameLength);
    return checked.ok ? checked.name : '';
  }

  attach(socket: RoomSocket): void {
    this.socket = socket;
  }

  /** Who this connection is: its server-given name shows when the user chose none, its messages stand out. */
  setYou(you: Sender): void {
    this.e.name.placeholder = you.name;
    this.youId = you.id;
  }

  setLimits(limits: Pick<Limits, 'maxChatLength' | 'maxNameLength' | 'chatRatePerSec'>): void {
    this.e.input.maxLength = limits.maxChatLength;
    this.e.name.maxLength = limits.maxNameLength;
    this.maxNameLength = limits.maxNameLength;
    this.chatRatePerSec = limits.chatRatePerSec;
  }

  /** Whether this connection may post (`welcome.grants`, `access`): without `chat` the box says why. */
  setCanChat(can: boolean, why = NO_CHAT): void {
    this.e.input.disabled = !can;
    this.e.form.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled = !can;
    this.e.input.placeholder = can ? 'Say something…' : why;
    this.e.form.classList.toggle('read-only', !can);
  }

  apply(r: ChatSyncResult): void {
    if (r.reset) this.clear();
    if (r.show.length === 0) return;
    const p = this.pending;
    if (p && r.show.some((m) => m.ref === p.ref)) this.sent(p);
    const follow = this.atBottom();
    for (const m of r.show) this.add(m);
    if (follow) this.scrollToEnd();
    else this.e.more.hidden = false;
  }

  /** Shows chat errors next to the input; returns whether it was one. */
  showError(msg: ErrorMessage): boolean {
    if (!CHAT_ERRORS.has(msg.code)) return false;
    // The refusal answers the message on its way: it stays in the box to be sent again.
    this.forgetPending();
    if (msg.code === 'CHAT_RATE_LIMITED') {
      this.rateLimited();
      return true;
    }
    const words: Record<string, string> = {
      CHAT_EMPTY: 'Type a message first.',
      CHAT_TOO_LONG: `That message is too long.`,
      CHAT_UNAVAILABLE: 'Chat is briefly unavailable: your message was not sent. Try again in a moment.',
      NOT_ALLOWED: NO_CHAT,
      ...NAME_WORDS,
    };
    this.error(words[msg.code] ?? ErrorCodes[msg.code].message);
    return true;
  }

  error(text: string, hideAfterMs = 6000): void {
    this.stopCountdown();
    this.showErrorText(text, hideAfterMs);
  }

  private showErrorText(text: string, hideAfterMs: number): void {
    this.e.error.textContent = text;
    this.e.error.hidden = false;
    if (this.errorTimer) clearTimeout(this.errorTimer);
    this.errorTimer = hideAfterMs > 0 ? setTimeout(() => (this.e.error.hidden = true), hideAfterMs) : null;
  }

  private send(): void {
    const text = this.e.input.value;
    if (text.trim() === '') return this.error('Type a message first.');
    // Too soon after a refusal: it would only be refused again (and its error held back).
    if (performance.now() < this.blockedUntil) return this.showCountdown();
    // Enter pressed again while the same text is on its way: one message, not two.
    if (this.pending?.text === text && this.pending.conn === this.socket?.current) return;
    const ref = `${REF_PREFIX}-${++this.refs}`;
    if (!this.socket?.send({ type: 'chat', text, ref })) {
      return this.error('Not connected right now: your message was not sent. Try again in a moment.');
    }
    this.forgetPending();
    this.pending = { ref, text, conn: this.socket.current, timer: setTimeout(() => this.forgetPending(), PENDING_MS) };
    this.e.input.dataset.pending = ref;
    this.e.error.hidden = true;
    this.scrollToEnd();
  }

  /** The server accepted our message: empty the box, unless the user has typed something else since. */
  private sent(p: Pending): void {
    if (this.e.input.value === p.text) this.e.input.value = '';
    this.forgetPending();
  }

  private forgetPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = null;
    delete this.e.input.dataset.pending;
  }

  /**
   * A refusal means the connection's token bucket holds less than one message, and it refills one
   * every 1/rate seconds: waiting that long from now is always enough, and never much more.
   */
  private rateLimited(): void {
    const waitMs = this.chatRatePerSec > 0 ? 1000 / this.chatRatePerSec : 1000;
    this.blockedUntil = performance.now() + waitMs;
    this.showCountdown();
  }

  private showCountdown(): void {
    const tick = () => {
      const left = this.blockedUntil - performance.now();
      if (left <= 0) {
        this.stopCountdown();
        this.showErrorText('You can send again now.', 3000);
        return;
      }
      this.showErrorText(`Too fast for the server: your message is still in the box, and you can send it again in ${Math.ceil(left / 1000)} s.`, 0);
    };
    this.stopCountdown();
    tick();
    if (this.blockedUntil > performance.now()) this.countdown = setInterval(tick, 250);
  }

  private stopCountdown(): void {
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = null;
  }

  private add(m: ChatMessage): void {
    if (this.rows.has(m.id)) return;
    this.e.log.querySelector('.chat-empty')?.remove();
    const role = m.from.role === 'broadcaster' ? ' from-broadcaster' : m.from.role === 'server' ? ' from-server' : '';
    const row = el('li', `chat-msg${role}${m.from.id === this.youId ? ' mine' : ''}`);
    row.dataset.id = String(m.id);
    const time = el('time', 'chat-time', clockTime(m.at));
    time.dateTime = new Date(m.at).toISOString();
    const who = el('span', 'chat-name', m.from.name);
    who.style.color = m.from.color;
    if (m.from.role === 'broadcaster') who.title = 'broadcaster';
    else if (m.from.role === 'server') who.title = 'posted by the site, not by a viewer';
    row.append(time, who, el('span', 'chat-text', m.text));
    // Almost always appended; history filling a gap inserts before the first higher id.
    let before: HTMLElement | null = null;
    const lastId = Number((this.e.log.lastElementChild as HTMLElement | null)?.dataset.id ?? 0);
    if (m.id < lastId) {
      for (const [id, r] of this.rows) if (id > m.id && (!before || id < Number(before.dataset.id))) before = r;
    }
    this.e.log.insertBefore(row, before);
    this.rows.set(m.id, row);
    // Keep the DOM small in long sessions.
    while (this.rows.size > 500) {
      const first = this.e.log.firstElementChild as HTMLElement;
      this.rows.delete(Number(first.dataset.id));
      first.remove();
    }
  }

  private clear(): void {
    this.rows.clear();
    this.e.log.replaceChildren();
    this.renderEmpty();
  }

  private renderEmpty(): void {
    if (this.rows.size === 0) this.e.log.append(el('li', 'chat-empty', 'No messages yet. Say hello!'));
  }

  private atBottom(): boolean {
    const l = this.e.log;
    return l.scrollHeight - l.scrollTop - l.clientHeight < STICK_PX;
  }

  private scrollToEnd(): void {
    this.e.log.scrollTop = this.e.log.scrollHeight;
    this.e.more.hidden = true;
  }
}

/** The chat panel both the camera and viewer pages carry (same element ids). */
export function chatViewFromPage(byId: <T extends HTMLElement>(id: string) => T): ChatView {
  return new ChatView({
    log: byId('chat-log'),
    form: byId<HTMLFormElement>('chat-form'),
    input: byId<HTMLInputElement>('chat-input'),
    name: byId<HTMLInputElement>('chat-name'),
    error: byId('chat-error'),
    more: byId<HTMLButtonElement>('chat-more'),
  });
}
