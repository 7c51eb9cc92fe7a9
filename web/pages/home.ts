import { isValidRoomName } from '../../src/protocol/index.js';
import { byId } from '../lib/dom.js';
import type { RoomSummary } from '../../src/protocol/index.js';
import { RoomList } from '../lib/room-list.js';

// The list is cheap to fetch; thumbnails reload less often than that.
const REFRESH_MS = 5000;

const list = new RoomList(byId('rooms'));
const empty = byId('empty');
const summary = byId('rooms-summary');
const loadError = byId('load-error');

async function refresh(): Promise<void> {
  try {
    const res = await fetch('/api/rooms', { cache: 'no-store' });
    if (!res.ok) throw new Error(String(res.status));
    const { rooms } = (await res.json()) as { rooms: RoomSummary[] };
    loadError.hidden = true;
    list.render(rooms);
    empty.hidden = rooms.some((r) => r.live);
    const live = rooms.filter((r) => r.live).length;
    summary.textContent = rooms.length === 0 ? '' : `${live} live${rooms.length > live ? `, ${rooms.length - live} recently offline` : ''}`;
    document.body.dataset.rooms = String(rooms.length);
  } catch {
    loadError.textContent = 'Cannot reach the server right now; retrying…';
    loadError.hidden = false;
  }
}

const form = byId<HTMLFormElement>('open-room');
const input = byId<HTMLInputElement>('room-name');
const formError = byId('open-room-error');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = input.value.trim().toLowerCase();
  if (!isValidRoomName(room)) {
    formError.textContent = 'Room names are 1–64 characters of a–z, 0–9, _ and -, starting with a letter or digit.';
    formError.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  location.href = `/viewer/${room}`;
});
input.addEventListener('input', () => {
  formError.hidden = true;
  input.removeAttribute('aria-invalid');
});

void refresh();
setInterval(() => {
  if (document.visibilityState === 'visible') void refresh();
}, REFRESH_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void refresh();
});
