import type { RoomSummary } from '../../src/protocol/index.js';
import { el } from './dom.js';
import { clockTime, duration, plural } from './format.js';

// A thumbnail is fetched again at most this often per room.
const THUMB_REFRESH_MS = 10_000;

/**
 * The home page's room cards, updated in place so thumbnails do not flicker. Thumbnails come from
 * `/api/rooms/:room/snapshot.jpg?quality=thumb`; when that answers with an error (no snapshot
 * support on this server, or no frame yet) the card keeps a placeholder with the room's initials.
 */
export class RoomList {
  private readonly cards = new Map<string, { li: HTMLLIElement; thumbAt: number; failed: boolean }>();
  // Once the snapshot route has failed for a room with a frame, later ones would fail too.
  private snapshotsUnavailable = false;

  constructor(private readonly ul: HTMLElement) {}

  render(rooms: RoomSummary[]): void {
    const now = Date.now();
    const seen = new Set<string>();
    for (const r of rooms) {
      seen.add(r.name);
      let card = this.cards.get(r.name);
      if (!card) {
        card = { li: this.build(r.name), thumbAt: 0, failed: false };
        this.cards.set(r.name, card);
      }
      this.update(card, r, now);
      this.ul.append(card.li); // keeps the server's order (live first, most watched first)
    }
    for (const [name, card] of this.cards) {
      if (!seen.has(name)) {
        card.li.remove();
        this.cards.delete(name);
      }
    }
  }

  private build(name: string): HTMLLIElement {
    const li = el('li', 'room-card panel');
    li.dataset.room = name;
    const a = el('a');
    a.href = `/viewer/${name}`;
    const thumb = el('div', 'thumb');
    thumb.append(el('span', 'placeholder', name.slice(0, 2)), el('span', 'badge'), el('span', 'count'));
    const meta = el('div', 'meta');
    meta.append(el('h3', '', name), el('p', 'since'));
    a.append(thumb, meta);
    li.append(a);
    return li;
  }

  private update(card: { li: HTMLLIElement; thumbAt: number; failed: boolean }, r: RoomSummary, now: number): void {
    const li = card.li;
    li.classList.toggle('offline', !r.live);
    const badge = li.querySelector('.badge') as HTMLElement;
    badge.className = `badge ${r.live ? 'live' : 'offline'}`;
    badge.textContent = r.live ? 'Live' : 'Offline';
    (li.querySelector('.count') as HTMLElement).textContent = plural(r.viewers, 'viewer');
    const since = li.querySelector('.since') as HTMLElement;
    const size = (r.width && r.height ? ` · ${r.width}×${r.height}` : '') + (r.live && r.fps > 0 ? ` · ${Math.round(r.fps)} fps` : '');
    since.textContent =
      r.live && r.liveSince
        ? `Live for ${duration(now - r.liveSince)}${size}`
        : r.offlineSince
          ? `Offline since ${clockTime(r.offlineSince)}`
          : 'Offline';
    li.querySelector('a')!.setAttribute('aria-label', `${r.name}: ${r.live ? 'live' : 'offline'}, ${plural(r.viewers, 'viewer')}`);
    const due = r.lastFrameAt !== null && now - card.thumbAt >= THUMB_REFRESH_MS && (r.live || card.thumbAt === 0);
    if (due && !card.failed && !this.snapshotsUnavailable) {
      card.thumbAt = now;
      this.loadThumb(card, r);
    }
  }

  private loadThumb(card: { li: HTMLLIElement; failed: boolean }, r: RoomSummary): void {
    const thumb = card.li.querySelector('.thumb') as HTMLElement;
    const img = new Image();
    img.alt = `Latest picture from ${r.name}`;
    img.decoding = 'async';
    img.onload = () => {
      thumb.querySelector('img')?.remove();
      thumb.querySelector('.placeholder')?.remove();
      thumb.prepend(img);
    };
    img.onerror = () => {
      card.failed = true;
      this.snapshotsUnavailable = true;
    };
    img.src = `/api/rooms/${encodeURIComponent(r.name)}/snapshot.jpg?quality=thumb&t=${r.lastFrameAt}`;
  }
}
