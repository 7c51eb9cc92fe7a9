import type { Moderate } from './chat-moderation.js';

export interface ModerationToolElements {
  box: HTMLElement;
  slowMode: HTMLSelectElement;
  clear: HTMLButtonElement;
}

/**
 * The room-wide moderation controls above the chat: slow mode and clearing the chat. Shown only
 * to a connection that may moderate (the broadcaster, a token with `moderate`).
 */
export class ModerationTools {
  private moderate: Moderate | null = null;

  constructor(private readonly e: ModerationToolElements) {
    e.slowMode.addEventListener('change', () => this.moderate?.({ action: 'slowmode', seconds: Number(e.slowMode.value) }));
    e.clear.addEventListener('click', () => this.moderate?.({ action: 'clear' }));
    this.set(null);
  }

  set(moderate: Moderate | null): void {
    this.moderate = moderate;
    this.e.box.hidden = moderate === null;
  }

  /** The room's slow mode as the server says it is. */
  showSlowMode(seconds: number): void {
    const s = this.e.slowMode;
    if (![...s.options].some((o) => o.value === String(seconds))) {
      const o = document.createElement('option');
      o.value = String(seconds);
      o.textContent = `${seconds} s`;
      s.append(o);
    }
    s.value = String(seconds);
  }
}
