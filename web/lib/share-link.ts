import { isValidRoomName } from '../../src/protocol/index.js';

export interface ShareLinkElements {
  input: HTMLInputElement;
  copy: HTMLButtonElement;
  open: HTMLAnchorElement;
}

/** The viewer link of a room, with Copy and Open; disabled while the room name is not valid. */
export class ShareLink {
  constructor(private readonly e: ShareLinkElements) {
    e.input.placeholder = 'Enter a room name to get the viewer link';
    e.copy.addEventListener('click', () => void this.copy());
  }

  setRoom(room: string): void {
    const url = isValidRoomName(room) ? `${location.origin}/viewer/${room}` : '';
    this.e.input.value = url;
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
