export type BadgeKind = 'live' | 'offline' | 'reconnecting' | 'connecting';

/** The LIVE / OFFLINE / RECONNECTING pill; `data-state` is what tests and styles read. */
export function setBadge(badge: HTMLElement, kind: BadgeKind, text: string): void {
  badge.className = `badge ${kind}`;
  badge.textContent = text;
  badge.dataset.state = kind;
  document.body.dataset.state = kind;
}
