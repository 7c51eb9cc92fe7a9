import { isValidRoomName, type ErrorCode, type Grant } from '../../src/protocol/index.js';
import { store } from './dom.js';
import { roomAdmin } from './room-admin.js';
import type { ShareLink } from './share-link.js';

export interface PrivacyElements {
  /** Private room on/off. */
  toggle: HTMLInputElement;
  /** The row of link options, shown while the room is private. */
  options: HTMLElement;
  validity: HTMLSelectElement;
  mayChat: HTMLInputElement;
  newLink: HTMLButtonElement;
}

export interface PrivacyHooks {
  /** The room and key in the form now. */
  credentials(): { room: string; key: string };
  /**
   * Whether the key is known to fit the room, so reading the settings will not be refused (a
   * refused request is an error in the browser's console; a wrong key is explained at Start).
   */
  keyKnownGood(): boolean;
  share: ShareLink;
  /** A refusal to show the broadcaster (BAD_KEY, SETTINGS_UNAVAILABLE, '' for no answer). */
  onError(code: ErrorCode | '', what: string): void;
  onOk(): void;
}

/**
 * The broadcaster's control over who may watch: the room private or public (PUT settings), and
 * viewer links with a token for a private room (POST tokens), each authorised by the stream key in
 * the form. While the room is private the share link carries a token; a new one is minted when the
 * room turns private, and on "New link" (with the validity and chat permission chosen).
 */
export class PrivacyControl {
  private isPrivate = false;
  /** The room the current state and link belong to. */
  private shownFor = '';
  private busy = false;

  constructor(
    private readonly e: PrivacyElements,
    private readonly hooks: PrivacyHooks,
  ) {
    e.validity.value = store.get('linkValidity') ?? e.validity.value;
    e.mayChat.checked = store.get('linkChat') !== '0';
    e.validity.addEventListener('change', () => store.set('linkValidity', e.validity.value));
    e.mayChat.addEventListener('change', () => store.set('linkChat', e.mayChat.checked ? '1' : '0'));
    e.toggle.addEventListener('change', () => void this.change(e.toggle.checked));
    e.newLink.addEventListener('click', () => void this.mint());
    this.render();
  }

  /** Reads the room's settings with the key in the form (when both are filled in and the key is known to fit). */
  async refresh(): Promise<void> {
    const { room, key } = this.hooks.credentials();
    this.e.toggle.disabled = !isValidRoomName(room) || !key;
    if (this.e.toggle.disabled || !this.hooks.keyKnownGood()) return this.show(room, false);
    const r = await roomAdmin.settings(room, key);
    // The form may have changed meanwhile: only the answer for what is there counts.
    const now = this.hooks.credentials();
    if (now.room !== room || now.key !== key) return;
    if (r.ok) this.show(room, r.value.private);
    else this.show(room, false);
  }

  /** The server says the room turned private or public (an `access` message). */
  onAccess(isPrivate: boolean): void {
    const { room } = this.hooks.credentials();
    if (isPrivate !== this.isPrivate || room !== this.shownFor) this.show(room, isPrivate);
  }

  private async change(makePrivate: boolean): Promise<void> {
    const { room, key } = this.hooks.credentials();
    if (this.busy) return;
    this.busy = true;
    this.e.toggle.disabled = true;
    const r = await roomAdmin.change(room, key, { private: makePrivate });
    this.busy = false;
    this.e.toggle.disabled = false;
    if (!r.ok) {
      this.e.toggle.checked = this.isPrivate;
      return this.hooks.onError(r.code, makePrivate ? 'make the room private' : 'make the room public');
    }
    this.hooks.onOk();
    this.show(room, r.value.private);
  }

  private show(room: string, isPrivate: boolean): void {
    const changed = room !== this.shownFor || isPrivate !== this.isPrivate;
    this.shownFor = room;
    this.isPrivate = isPrivate;
    if (changed) this.hooks.share.setToken(isPrivate, null);
    this.render();
    // A private room needs a link with a token to be shared at all: make one right away.
    if (changed && isPrivate) void this.mint();
  }

  private async mint(): Promise<void> {
    const { room, key } = this.hooks.credentials();
    if (!this.isPrivate || room !== this.shownFor) return;
    const grants: Grant[] = this.e.mayChat.checked ? ['watch', 'chat'] : ['watch'];
    this.e.newLink.disabled = true;
    const r = await roomAdmin.mint(room, key, grants, Number(this.e.validity.value));
    this.e.newLink.disabled = false;
    if (!r.ok) return this.hooks.onError(r.code, 'make a viewer link');
    if (this.hooks.credentials().room !== room || !this.isPrivate) return;
    this.hooks.share.setToken(true, r.value.token);
    this.e.newLink.dataset.expiresAt = String(r.value.expiresAt);
  }

  private render(): void {
    this.e.toggle.checked = this.isPrivate;
    this.e.options.hidden = !this.isPrivate;
    document.body.classList.toggle('room-private', this.isPrivate);
  }
}
