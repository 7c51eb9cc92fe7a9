import { el } from './dom.js';

export type NoticeKind = 'error' | 'warn' | 'info';

/** Messages for the user keyed by topic, so a repeated problem updates one line instead of piling up. */
export class Notices {
  private readonly items = new Map<string, HTMLElement>();

  constructor(private readonly box: HTMLElement) {}

  show(topic: string, kind: NoticeKind, text: string): void {
    let item = this.items.get(topic);
    if (!item) {
      item = el('p', '');
      item.dataset.topic = topic;
      this.box.append(item);
      this.items.set(topic, item);
    }
    item.className = `notice ${kind}`;
    item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    item.textContent = text;
  }

  clear(topic: string): void {
    this.items.get(topic)?.remove();
    this.items.delete(topic);
  }

  clearAll(): void {
    for (const t of [...this.items.keys()]) this.clear(t);
  }
}
