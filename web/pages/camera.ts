import { CloseCodes, ErrorCodes, isValidRoomName, type ServerMessage } from '../../src/protocol/index.js';
import { broadcastErrorText } from '../lib/broadcast-errors.js';
import { CameraSource, cameraSupport, fillCameraSelect } from '../lib/camera-source.js';
import { chatViewFromPage } from '../lib/chat-view.js';
import { byId, el, store } from '../lib/dom.js';
import { fetchPageConfig, type PageConfig } from '../lib/page-config.js';
import { Notices } from '../lib/notices.js';
import { FrameCapture } from '../lib/frame-capture.js';
import { RoomSocket, type SocketState } from '../lib/room-socket.js';
import { setBadge } from '../lib/status-badge.js';
import { TickTimer } from '../lib/tick-timer.js';
import { TierEncoder } from '../lib/tier-encoder.js';
import { renderTierStats } from '../lib/tier-stats.js';
import { ScreenWakeLock } from '../lib/wake-lock.js';
import { PrivacyControl } from '../lib/privacy-control.js';
import { ShareLink } from '../lib/share-link.js';
import { verifyKey } from '../lib/verify-key.js';

const form = byId<HTMLFormElement>('cam-form');
const roomInput = byId<HTMLInputElement>('room');
const keyInput = byId<HTMLInputElement>('key');
const startBtn = byId<HTMLButtonElement>('start');
const stopBtn = byId<HTMLButtonElement>('stop');
const cameraSel = byId<HTMLSelectElement>('camera');
const resolutionSel = byId<HTMLSelectElement>('resolution');
const fpsSel = byId<HTMLSelectElement>('fps');
const qualityInput = byId<HTMLInputElement>('jpeg-quality');
const badge = byId('status');
const stage = byId('stage');
const stageMessage = byId('stage-message');
const preview = byId<HTMLCanvasElement>('preview');
const linkInput = byId<HTMLInputElement>('viewer-link');
const notices = new Notices(byId('messages'));
const chat = chatViewFromPage(byId);
const camera = new CameraSource(byId<HTMLVideoElement>('camera-video'));
const wakeLock = new ScreenWakeLock();
const capture = new FrameCapture(byId<HTMLVideoElement>('camera-video'), preview);
capture.onResize = (w, h) => (stage.style.aspectRatio = `${w} / ${h}`);
capture.onTooLarge = (limit) =>
  notices.show('size', 'warn', `Frames are larger than the server accepts (${Math.round(limit / 1024)} KB): lower the resolution or the JPEG quality.`);

// The bundled tier worker's content-hashed URL (scripts/build.mjs).
declare const __TIER_WORKER_URL__: string;
// Tier frames wait while the connection holds more than this: the source frame goes first.
const TIER_MAX_BUFFERED_BYTES = 64 * 1024;
// The quality tiers someone watches, encoded here from the same picture as the source frame.
const tiers = new TierEncoder({
  workerUrl: __TIER_WORKER_URL__,
  sendFrame: (frame) => socket?.sendBinary(frame) ?? false,
  announce: (names) => void socket?.send({ type: 'encoding', tiers: names }),
  canSend: () => (socket?.bufferedAmount ?? Number.POSITIVE_INFINITY) <= TIER_MAX_BUFFERED_BYTES,
});
capture.onPicture = (canvas) => tiers.begin(canvas);
// A handle for the console and for measurements: what is captured and what the tiers cost.
(window as unknown as { beamcast: { capture: FrameCapture; tiers: TierEncoder } }).beamcast = { capture, tiers };

let config: PageConfig | null = null;
let socket: RoomSocket | null = null;
let running = false;
let viewers: number | null = null;

const params = new URLSearchParams(location.search);
roomInput.value = params.get('room') ?? store.get('room') ?? '';
keyInput.value = params.get('key') ?? store.get('key') ?? '';
resolutionSel.value = store.get('resolution') ?? resolutionSel.value;
fpsSel.value = store.get('fps') ?? fpsSel.value;
qualityInput.value = store.get('jpegQuality') ?? qualityInput.value;
byId('jpeg-quality-value').textContent = qualityInput.value;

const timer = new TickTimer(() => void tick());

function settings() {
  const [w, h] = resolutionSel.value.split('x').map(Number) as [number, number];
  return { width: w, height: h, fps: Number(fpsSel.value), quality: Number(qualityInput.value) / 100 };
}

const share = new ShareLink({
  input: linkInput,
  copy: byId<HTMLButtonElement>('copy-link'),
  open: byId<HTMLAnchorElement>('open-link'),
});
const updateLink = () => share.setRoom(roomInput.value.trim());
roomInput.addEventListener('input', updateLink);
updateLink();

// Private or public, and viewer links with a token: with the room and key in the form.
const privacy = new PrivacyControl(
  {
    toggle: byId<HTMLInputElement>('private'),
    options: byId('link-options'),
    validity: byId<HTMLSelectElement>('link-validity'),
    mayChat: byId<HTMLInputElement>('link-chat'),
    newLink: byId<HTMLButtonElement>('new-link'),
  },
  {
    credentials: () => ({ room: roomInput.value.trim().toLowerCase(), key: keyInput.value.trim() }),
    // Room and key are remembered only once the server accepted them (see start).
    keyKnownGood: () => roomInput.value.trim().toLowerCase() === store.get('room') && keyInput.value.trim() === store.get('key'),
    share,
    onError: (code, what) => {
      const room = roomInput.value.trim().toLowerCase();
      if (code === 'BAD_KEY') notices.show('privacy', 'error', `Could not ${what}: that stream key is wrong for room “${room}”.`);
      else notices.show('privacy', 'error', `Could not ${what}: ${code ? ErrorCodes[code].message : 'the server did not answer'}.`);
    },
    onOk: () => notices.clear('privacy'),
  },
);
roomInput.addEventListener('change', () => void privacy.refresh());
keyInput.addEventListener('change', () => void privacy.refresh());

const roomError = byId('room-error');
const ROOM_RULE = 'Room names are 1–64 characters of a–z, 0–9, _ and -, starting with a letter or digit (for example kitchen or lab-2).';

/** The room rule in words, in the browser's own validation bubble and under the field. */
function checkRoom(): boolean {
  const room = roomInput.value.trim().toLowerCase();
  const bad = room !== '' && !isValidRoomName(room);
  roomInput.setCustomValidity(bad ? ROOM_RULE : '');
  roomError.textContent = bad ? ROOM_RULE : '';
  roomError.hidden = !bad;
  if (bad) roomInput.setAttribute('aria-invalid', 'true');
  else roomInput.removeAttribute('aria-invalid');
  return !bad;
}
roomInput.addEventListener('input', checkRoom);
// Room names are lower case: what was typed with capitals is the same room.
roomInput.addEventListener('change', () => {
  const lower = roomInput.value.trim().toLowerCase();
  if (isValidRoomName(lower) && lower !== roomInput.value) {
    roomInput.value = lower;
    updateLink();
  }
});
checkRoom();

function showStage(title: string, detail: string): void {
  stageMessage.replaceChildren(el('strong', '', title), el('span', '', detail));
  stageMessage.hidden = false;
}

// Before the first Start: what is still missing, so a link that filled in everything says so.
let idleStage = true;
function showIdleStage(): void {
  if (!idleStage || running) return;
  const room = roomInput.value.trim().toLowerCase();
  const hasKey = keyInput.value.trim() !== '';
  if (isValidRoomName(room) && hasKey) showStage('Camera off', `Press Start to broadcast to room “${room}”.`);
  else if (isValidRoomName(room)) showStage('Camera off', `Enter the stream key for room “${room}”, then press Start.`);
  else if (hasKey) showStage('Camera off', 'Enter the room this key belongs to, then press Start.');
  else showStage('Camera off', 'Enter a room and its stream key, then press Start.');
}
roomInput.addEventListener('input', showIdleStage);
keyInput.addEventListener('input', showIdleStage);
showIdleStage();

async function tick(): Promise<void> {
  if (running && camera.active) await capture.tick(socket);
}

function renderStats(): void {
  const on = running && (socket?.isOpen ?? false);
  const sent = capture.sent;
  byId('st-fps').textContent = on ? `${sent.perSecond().toFixed(1)} fps` : '–';
  byId('st-kb').textContent = on ? `${(sent.averageBytes() / 1024).toFixed(1)} KB` : '–';
  byId('st-kbps').textContent = on ? `${Math.round((sent.bytesPerSecond() * 8) / 1000)} kbit/s` : '–';
  byId('st-viewers').textContent = viewers === null ? '–' : String(viewers);
  // While the connection is down the count is only the last one known: shown greyed, not as fact.
  const stale = viewers !== null && !(socket?.isOpen ?? false);
  for (const id of ['st-viewers', 'viewers']) {
    const e = byId(id);
    e.classList.toggle('stale', stale);
    if (stale) e.title = 'Last known count: not known while the connection is down';
    else e.removeAttribute('title');
  }
  byId('st-skipped').textContent = running ? String(capture.skipped) : '–';
  byId('st-res').textContent = camera.active ? `${preview.width}×${preview.height}` : '–';
  byId('viewers').textContent = viewers === null ? '' : `${viewers} watching`;
  renderTierStats(byId('tier-stats'), on ? tiers : null);
  preview.dataset.sent = String(capture.seq);
  preview.dataset.tiers = tiers.encoding.join(',');
}
setInterval(renderStats, 1000);

function badKey(room: string): void {
  stop();
  notices.show('key', 'error', `That stream key is wrong for room “${room}”. The server owner can print the right one with: npm run stream-key -- ${room}`);
  keyInput.focus();
}

function onState(s: SocketState): void {
  const room = roomInput.value.trim();
  switch (s.kind) {
    case 'connecting':
      if (badge.dataset.state !== 'reconnecting') setBadge(badge, 'connecting', 'Connecting');
      break;
    case 'open':
      setBadge(badge, 'live', 'Live');
      notices.clear('conn');
      notices.clear('key');
      viewers = s.welcome.viewers;
      chat.setLimits(s.welcome.limits);
      chat.setYou(s.welcome.you);
      privacy.onAccess(s.welcome.private);
      limitFps(s.welcome.limits.maxFps);
      tiers.connected();
      stageMessage.hidden = true;
      void wakeLock.acquire();
      renderStats();
      break;
    case 'reconnecting':
      tiers.disconnected();
      setBadge(badge, 'reconnecting', 'Reconnecting');
      renderStats();
      notices.show('conn', 'warn', `Connection lost: reconnecting in ${Math.max(1, Math.round(s.inMs / 1000))} s. Streaming resumes by itself.`);
      // A refused upgrade looks like any network failure (1006): ask the API whether the key is the reason.
      if (!s.everOpened && (s.attempt <= 2 || s.attempt % 5 === 0)) {
        void verifyKey(room, keyInput.value.trim()).then((v) => {
          if (v === 'bad' && running) badKey(room);
        });
      }
      break;
    case 'stopped':
      tiers.disconnected();
      if (s.code === CloseCodes.REPLACED.code) {
        notices.show('conn', 'error', `Another broadcaster took over room “${room}”. Press Start to take it back.`);
      } else if (s.code === CloseCodes.POLICY_VIOLATION.code) {
        notices.show('conn', 'error', 'The server closed the connection after too many invalid messages.');
      }
      if (running) stop();
      break;
  }
}

function onMessage(msg: ServerMessage): void {
  if (msg.type === 'presence') viewers = msg.viewers;
  else if (msg.type === 'access') privacy.onAccess(msg.private);
  else if (msg.type === 'demand') tiers.setDemand(msg.tiers);
  else if (msg.type === 'error' && !chat.showError(msg)) {
    notices.show(`server-${msg.code}`, 'warn', broadcastErrorText(msg, socket?.current?.limits));
    setTimeout(() => notices.clear(`server-${msg.code}`), 8000);
  }
}

function limitFps(maxFps: number): void {
  for (const o of Array.from(fpsSel.options)) o.disabled = Number(o.value) > maxFps;
  if (Number(fpsSel.value) > maxFps) {
    const allowed = Array.from(fpsSel.options).filter((o) => !o.disabled);
    fpsSel.value = allowed[allowed.length - 1]?.value ?? '1';
    timer.start(1000 / settings().fps);
  }
  tiers.intervalMs = 1000 / settings().fps;
}

async function start(): Promise<void> {
  notices.clearAll();
  const room = roomInput.value.trim().toLowerCase();
  roomInput.value = room;
  const key = keyInput.value.trim();
  updateLink();
  checkRoom();
  if (!isValidRoomName(room)) {
    notices.show('form', 'error', ROOM_RULE);
    roomInput.focus();
    return;
  }
  if (!key) {
    notices.show('form', 'error', `Enter the stream key for room “${room}”. The server owner can print it with: npm run stream-key -- ${room}`);
    keyInput.focus();
    return;
  }
  const unsupported = cameraSupport();
  if (unsupported) return notices.show('camera', 'error', unsupported);
  startBtn.disabled = true;
  idleStage = false;
  try {
    config ??= await fetchPageConfig();
  } catch {
    startBtn.disabled = false;
    return notices.show('conn', 'error', 'Cannot reach the server. Check the connection and press Start again.');
  }
  if ((await verifyKey(room, key)) === 'bad') {
    startBtn.disabled = false;
    return badKey(room);
  }
  store.set('room', room);
  store.set('key', key);
  void privacy.refresh();
  const s = settings();
  try {
    showStage('Opening the camera…', 'Allow camera access if the browser asks.');
    await camera.open(cameraSel.value, s.width, s.height);
  } catch (err) {
    startBtn.disabled = false;
    showStage('Camera off', 'See the message below.');
    return notices.show('camera', 'error', (err as Error).message);
  }
  watchCamera();
  await refreshCameras();
  running = true;
  capture.reset();
  tiers.reset();
  tiers.intervalMs = 1000 / s.fps;
  capture.quality = s.quality;
  startBtn.hidden = true;
  startBtn.disabled = false;
  stopBtn.hidden = false;
  roomInput.disabled = keyInput.disabled = true;
  stage.classList.add('has-frame');
  socket = new RoomSocket({ config, room, role: 'broadcaster', key, name: chat.name, onState, onMessage, onChat: (r) => chat.apply(r) });
  chat.attach(socket);
  socket.start();
  timer.start(1000 / s.fps);
  updateHiddenWarning();
}

function stop(): void {
  running = false;
  timer.stop();
  const s = socket;
  socket = null;
  s?.stop();
  camera.close();
  wakeLock.release();
  viewers = null;
  startBtn.hidden = false;
  stopBtn.hidden = true;
  roomInput.disabled = keyInput.disabled = false;
  setBadge(badge, 'offline', 'Offline');
  stage.classList.remove('has-frame');
  showStage('Camera off', 'Press Start to broadcast again.');
  notices.clear('hidden');
  renderStats();
}

chat.onNameChange = (name) => {
  socket?.update({ name });
  socket?.reconnect();
};

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!running) void start();
});
stopBtn.addEventListener('click', () => {
  stop();
  startBtn.focus();
});

function watchCamera(): void {
  camera.onEnded(() => {
    if (!running) return;
    notices.show('camera', 'error', 'The camera stopped (unplugged or permission withdrawn). Press Start to try again.');
    stop();
  });
}

async function reopenCamera(): Promise<void> {
  store.set('camera', cameraSel.value);
  store.set('resolution', resolutionSel.value);
  if (!running) return;
  // Another picture size: tiers given up at the old one get another chance.
  tiers.reset();
  const s = settings();
  try {
    await camera.open(cameraSel.value, s.width, s.height);
    watchCamera();
    notices.clear('camera');
  } catch (err) {
    notices.show('camera', 'error', (err as Error).message);
  }
}
cameraSel.addEventListener('change', () => void reopenCamera());
resolutionSel.addEventListener('change', () => void reopenCamera());
fpsSel.addEventListener('change', () => {
  store.set('fps', fpsSel.value);
  tiers.intervalMs = 1000 / settings().fps;
  tiers.reset();
  if (running) timer.start(1000 / settings().fps);
});
qualityInput.addEventListener('input', () => {
  byId('jpeg-quality-value').textContent = qualityInput.value;
  store.set('jpegQuality', qualityInput.value);
  capture.quality = settings().quality;
});

async function refreshCameras(): Promise<void> {
  await fillCameraSelect(cameraSel, camera.deviceId || cameraSel.value || store.get('camera') || '');
}
navigator.mediaDevices?.addEventListener?.('devicechange', () => void refreshCameras());

function updateHiddenWarning(): void {
  if (running && document.visibilityState === 'hidden') {
    notices.show('hidden', 'warn', 'This tab is in the background: browsers slow it down, so fewer frames may go out. Keep it visible for smooth video.');
  } else {
    notices.clear('hidden');
  }
}
document.addEventListener('visibilitychange', updateHiddenWarning);

async function boot(): Promise<void> {
  setBadge(badge, 'offline', 'Offline');
  const unsupported = cameraSupport();
  if (unsupported) {
    notices.show('camera', 'error', unsupported);
    startBtn.disabled = true;
    return;
  }
  const saved = store.get('camera');
  if (saved) {
    cameraSel.replaceChildren(el('option', '', 'Remembered camera'));
    (cameraSel.options[0] as HTMLOptionElement).value = saved;
  }
  void refreshCameras();
  void privacy.refresh();
  if (params.get('autostart') === '1') await start();
}

void boot();
