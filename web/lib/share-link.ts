import { isValidRoomName } from '../../src/protocol/index.js';

export interface ShareLinkElements {
  input: HTMLInputElement;
  copy: HTMLButtonElement;
  open: HTMLAnchorElement;
}

/**
 * The viewer link of a room, with Copy and Open; disabled while the room name is not valid. A
 * private room's link carries a viewer token, and opens the viewer page directly.
 */
export class ShareLink {
  private room = '';
  private token: string | null = null;
  private needsToken = false;

  constructor(private readonly e: ShareLinkElements) {
    e.input.placeholder = 'Enter a room name to get the viewer link';
    e.copy.addEventListener('click', () => void this.copy());
  }

  setRoom(room: string): void {
    if (room !== this.room) this.token = null;
    this.room = room;
    this.render();
  }

  /** The room is private: the link works only with a token (null: none yet, no link to hand out). */
  setToken(needsToken: boolean, token: string | null): void {
    this.needsToken = needsToken;
    this.token = needsToken ? token : null;
    this.render();
  }

  private render(): void {
    let url = isValidRoomName(this.room) ? `${location.origin}/viewer/${this.room}` : '';
    if (url && this.needsToken) url = this.token ? `${url}?token=${encodeURIComponent(this.token)}` : '';
    this.e.input.value = url;
    this.e.input.placeholder = this.needsToken && isValidRoomName(this.room) ? 'Private room: make a viewer link with “New link”' : 'Enter a room name to get the viewer link';
    this.e.open.href = url || '#';
    this.e.open.toggleAttribute('aria-disabled', !url);
    this.e.copy.disabled = !url;
  }

  private async copy(): Promise<void> {
    if (!this.e.input.value) return;
    try {
      await navigator.clipboard.writeText(this.e.input.value);
    } catch {
      // Clipboard API refused (permissions, older browsers): select it for a manual copy.
      this.e.input.select();
      document.execCommand('copy');
    }
    this.e.copy.textContent = 'Copied';
    setTimeout(() => (this.e.copy.textContent = 'Copy link'), 1500);
  }
}
