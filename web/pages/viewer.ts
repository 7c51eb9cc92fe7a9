import { AutoQuality, CloseCodes, isValidRoomName, type ErrorCode, type Grant, type ServerMessage, type WelcomeMessage } from '../../src/protocol/index.js';
import { autoHideControls } from '../lib/auto-hide-controls.js';
import { chatViewFromPage } from '../lib/chat-view.js';
import { byId, el, store } from '../lib/dom.js';
import { clockTime, plural } from '../lib/format.js';
import { FrameRenderer, type PaintedFrame } from '../lib/frame-renderer.js';
import { fetchPageConfig } from '../lib/page-config.js';
import { RateMeter } from '../lib/rate-meter.js';
import { accessRefusal } from '../lib/room-admin.js';
import { RoomSocket, type SocketState } from '../lib/room-socket.js';
import { setBadge } from '../lib/status-badge.js';

const room = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
// A link with a token opens a private room; the page hands it on to its WebSocket.
const token = new URLSearchParams(location.search).get('token') ?? '';
const stage = byId('stage');
const canvas = byId<HTMLCanvasElement>('video');
const message = byId('stage-message');
const badge = byId('status');
const viewersEl = byId('viewers');
const overlay = byId('overlay');
const qualitySel = byId<HTMLSelectElement>('quality');
const statsToggle = byId<HTMLButtonElement>('stats-toggle');
const fullscreenBtn = byId<HTMLButtonElement>('fullscreen');
byId('room-title').textContent = room;
autoHideControls(stage, byId('stage-controls'));
document.title = `${room} · beamcast`;

const chat = chatViewFromPage(byId);
const renderer = new FrameRenderer(canvas);
const paintMeter = new RateMeter(2000);
const byteMeter = new RateMeter(2000);
const latencies: number[] = [];
// Recent paints, for the console and for measurements: window.beamcast.paints.
const paints: PaintedFrame[] = [];
let live = false;
let offlineSince: number | null = null;
let lastPaint: PaintedFrame | null = null;
let lastSize: [number, number] = [0, 0];
let auto: AutoQuality | null = null;
let socket: RoomSocket;
/** Set when the page knows it may not watch: it says why and stops trying. */
let refused: ErrorCode | null = null;

// A handle for the console and for measurements: recent paints and the connection.
const debug: { paints: PaintedFrame[]; renderer: FrameRenderer; socket?: RoomSocket } = { paints, renderer };
(window as unknown as { beamcast: typeof debug }).beamcast = debug;

function showMessage(title: string, detail = ''): void {
  message.replaceChildren(el('strong', '', title));
  if (detail) message.append(el('span', '', detail));
}

function refreshStage(): void {
  stage.classList.toggle('has-frame', lastPaint !== null);
  stage.classList.toggle('live-now', live);
  stage.classList.toggle('offline', !live && lastPaint !== null);
  if (live && !lastPaint) showMessage('Live', 'Waiting for the first picture…');
  else if (!live && offlineSince) showMessage(`Offline since ${clockTime(offlineSince)}`, lastPaint ? 'Showing the last picture. This page resumes by itself when the broadcast comes back.' : 'This page resumes by itself when the broadcast starts.');
  else if (!live) showMessage('Not live yet', 'This page starts playing by itself when the broadcast begins.');
}

function setLive(isLive: boolean, since: number | null): void {
  live = isLive;
  offlineSince = isLive ? null : since;
  setBadge(badge, isLive ? 'live' : 'offline', isLive ? 'Live' : offlineSince ? `Offline since ${clockTime(offlineSince)}` : 'Offline');
  refreshStage();
  if (!isLive) latencies.length = 0;
  renderOverlay();
}

function setViewers(n: number): void {
  viewersEl.textContent = `${plural(n, 'viewer')} watching`;
  markViewersStale(false);
}

/** While disconnected the count is only the last one known: greyed, and said so on hover. */
function markViewersStale(stale: boolean): void {
  viewersEl.classList.toggle('stale', stale && viewersEl.textContent !== '');
  if (stale) viewersEl.title = 'Last known count: not known while the connection is down';
  else viewersEl.removeAttribute('title');
}

// What a viewer is told when it may not watch, and what to do about it.
const REFUSALS: Partial<Record<ErrorCode, [string, string]>> = {
  TOKEN_REQUIRED: ['This room is private', 'Only people with a viewer link from the broadcaster can watch it. Ask them for one.'],
  BAD_TOKEN: ['This link does not open this room', 'The link is incomplete or belongs to another room. Ask the broadcaster for a new one.'],
  TOKEN_EXPIRED: ['This link has expired', 'Ask the broadcaster for a new viewer link.'],
  NOT_ALLOWED: ['This link does not let you watch', 'Ask the broadcaster for a viewer link.'],
};

function showRefusal(code: ErrorCode): void {
  refused = code;
  setBadge(badge, 'offline', code === 'TOKEN_EXPIRED' ? 'Link expired' : 'Private room');
  const [title, detail] = REFUSALS[code] ?? ['You cannot watch this room', ''];
  showMessage(title, detail);
  stage.classList.remove('live-now');
  stage.classList.add('refused');
  viewersEl.textContent = '';
  chat.setCanChat(false, 'Chat is for people who can watch this room.');
}

function setAccess(isPrivate: boolean, grants: Grant[]): void {
  byId('private-badge').hidden = !isPrivate;
  chat.setCanChat(grants.includes('chat'));
}

function onState(s: SocketState): void {
  if (refused) return;
  switch (s.kind) {
    case 'connecting':
      if (badge.dataset.state !== 'reconnecting') setBadge(badge, 'connecting', 'Connecting');
      break;
    case 'open':
      onWelcome(s.welcome);
      break;
    case 'reconnecting':
      setBadge(badge, 'reconnecting', 'Reconnecting');
      markViewersStale(true);
      latencies.length = 0;
      renderOverlay();
      // Over a frozen picture too: the viewer should know it is not live right now.
      stage.classList.remove('live-now');
      showMessage('Connection lost', `Reconnecting in ${Math.max(1, Math.round(s.inMs / 1000))} s… the picture resumes by itself.`);
      // A refused upgrade looks like any network failure (1006): ask whether this page may watch at all.
      if (!s.everOpened && (s.attempt <= 2 || s.attempt % 5 === 0)) {
        void accessRefusal(room, token).then((code) => {
          if (code && code in REFUSALS && !refused) {
            showRefusal(code);
            socket.stop();
          }
        });
      }
      break;
    case 'stopped':
      if (s.code === CloseCodes.PRIVATE_ROOM.code) {
        showRefusal('TOKEN_REQUIRED');
        showMessage('This room is now private', 'The broadcaster made it private: only people with a viewer link can watch. Ask them for one.');
        break;
      }
      setBadge(badge, 'offline', 'Disconnected');
      markViewersStale(true);
      renderOverlay();
      showMessage('Disconnected', `${s.reason}. Reload the page to connect again.`);
      stage.classList.remove('live-now');
      break;
  }
}

function onWelcome(w: WelcomeMessage): void {
  setAccess(w.private, w.grants);
  setLive(w.live, w.live ? w.liveSince : (w.lastFrameAt ?? null));
  setViewers(w.viewers);
  chat.setLimits(w.limits);
  chat.setYou(w.you);
  setupQualities(w);
}

function setupQualities(w: WelcomeMessage): void {
  // A menu with one entry is noise: show it only when the server offers tiers.
  if (w.qualities.length < 2) {
    qualitySel.hidden = true;
    auto = null;
    return;
  }
  const wanted = store.get('quality') ?? 'auto';
  qualitySel.replaceChildren(
    ...['auto', ...w.qualities].map((q) => {
      const o = el('option', '', q === 'source' ? 'Source' : q);
      o.value = q;
      return o;
    }),
  );
  showTier(w.quality);
  qualitySel.value = wanted === 'auto' || w.qualities.includes(wanted) ? wanted : 'auto';
  qualitySel.hidden = false;
  auto = qualitySel.value === 'auto' ? new AutoQuality({ qualities: w.qualities }, w.quality) : null;
  if (qualitySel.value !== 'auto' && qualitySel.value !== w.quality) socket.send({ type: 'quality', quality: qualitySel.value });
}

/** The Auto entry names the tier it chose, so the menu says what is playing. */
function showTier(quality: string): void {
  const first = qualitySel.options[0];
  if (first) first.textContent = `Auto (${quality === 'source' ? 'Source' : quality})`;
  qualitySel.dataset.quality = quality;
}

qualitySel.addEventListener('change', () => {
  const w = socket.current;
  if (!w) return;
  store.set('quality', qualitySel.value);
  if (qualitySel.value === 'auto') {
    auto = new AutoQuality({ qualities: w.qualities }, w.quality);
  } else {
    auto = null;
    socket.send({ type: 'quality', quality: qualitySel.value });
  }
});

function onMessage(msg: ServerMessage): void {
  switch (msg.type) {
    case 'presence':
      setViewers(msg.viewers);
      if (msg.live !== live) setLive(msg.live, msg.live ? null : Date.now());
      break;
    case 'live':
      setLive(msg.live, msg.since);
      break;
    case 'access':
      setAccess(msg.private, msg.grants);
      break;
    case 'quality':
      socket.update({ quality: msg.quality });
      auto?.reset(); // seq jumps across a tier switch mean nothing
      showTier(msg.quality);
      break;
    case 'error':
      if (msg.code === 'TOKEN_EXPIRED' || msg.code === 'BAD_TOKEN') chat.error('Your link’s token was not accepted, but this room is public: you are watching without it.', 10_000);
      else if (!chat.showError(msg)) console.warn(`server: ${msg.code}: ${msg.message}`);
      break;
    default:
      break;
  }
}

renderer.onReceive = (h, bytes) => {
  byteMeter.add(bytes);
  if (auto) {
    const next = auto.onFrame(h.seq, performance.now());
    if (next) socket.send({ type: 'quality', quality: next });
  }
};
renderer.onPaint = (f) => {
  const first = lastPaint === null;
  lastPaint = f;
  paintMeter.add();
  if (f.relayedAt > 0 && socket.clock.known) {
    latencies.push(socket.clock.serverNow(f.paintedAt) - f.relayedAt);
    if (latencies.length > 30) latencies.shift();
  }
  paints.push(f);
  if (paints.length > 600) paints.shift();
  canvas.dataset.frames = String(renderer.painted);
  canvas.dataset.seq = String(f.seq);
  if (first || f.width !== lastSize[0] || f.height !== lastSize[1]) {
    lastSize = [f.width, f.height];
    stage.style.aspectRatio = `${f.width} / ${f.height}`;
  }
  if (first) refreshStage();
};

function renderOverlay(): void {
  if (overlay.hidden) return;
  // Rates and latency describe frames arriving now: with the broadcast offline or the connection
  // down there are none, and the last figures would read as if the stream were still flowing.
  const flowing = live && (socket?.isOpen ?? false);
  overlay.classList.toggle('stale', !flowing);
  const fps = paintMeter.perSecond();
  byId('ov-fps').textContent = flowing ? `${fps.toFixed(fps < 10 ? 1 : 0)} fps` : '– fps';
  const lat = flowing && latencies.length ? Math.max(0, latencies.slice().sort((a, b) => a - b)[latencies.length >> 1]!) : null;
  byId('ov-latency').textContent = lat === null ? 'latency –' : `latency ${Math.round(lat)} ms`;
  byId('ov-res').textContent = lastPaint ? `${lastPaint.width}×${lastPaint.height}` : '–';
  byId('ov-rate').textContent = flowing ? `${(byteMeter.bytesPerSecond() / 1024).toFixed(0)} KB/s` : '– KB/s';
}
setInterval(renderOverlay, 500);

function toggleStats(): void {
  overlay.hidden = !overlay.hidden;
  statsToggle.setAttribute('aria-pressed', String(!overlay.hidden));
  store.set('stats', overlay.hidden ? '0' : '1');
  renderOverlay();
}
if (store.get('stats') === '0') toggleStats();
statsToggle.addEventListener('click', toggleStats);

function toggleFullscreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void stage.requestFullscreen?.().catch(() => {});
}
fullscreenBtn.addEventListener('click', toggleFullscreen);
if (!document.fullscreenEnabled) fullscreenBtn.hidden = true;
document.addEventListener('fullscreenchange', () => {
  fullscreenBtn.textContent = document.fullscreenElement ? 'Exit fullscreen' : 'Fullscreen';
});
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (t.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'f') toggleFullscreen();
  else if (e.key === 's') toggleStats();
  else if (e.key === '/') {
    e.preventDefault();
    byId('chat-input').focus();
  }
});

async function main(): Promise<void> {
  if (!isValidRoomName(room)) {
    setBadge(badge, 'offline', 'No such room');
    showMessage('That is not a room name', 'Room names are 1–64 characters of a–z, 0–9, _ and -.');
    return;
  }
  let config;
  try {
    config = await fetchPageConfig();
  } catch {
    setBadge(badge, 'offline', 'Server unreachable');
    showMessage('Cannot reach the server', 'Reload the page to try again.');
    return;
  }
  socket = new RoomSocket({
    config,
    room,
    role: 'viewer',
    token,
    name: chat.name,
    onState,
    onMessage,
    onChat: (r) => chat.apply(r),
    onFrame: (data) => renderer.push(data),
  });
  debug.socket = socket;
  chat.attach(socket);
  chat.onNameChange = (name) => {
    socket.update({ name });
    socket.reconnect();
  };
  socket.start();
}

void main();
