// How the load generator speaks to each target. beamcast and the plain relays share the URL
// form /ws/:room?role=...; Socket.IO wraps everything in Engine.IO packets; the "paper"
// relay sends each frame as a JSON text message with a base64 data URL.
import type { LeanSocket } from './lean-socket.js';

export const TARGETS = ['beamcast', 'bare-uws', 'ws', 'socketio', 'paper'] as const;
export type TargetName = (typeof TARGETS)[number];
export const BASELINES = TARGETS.filter((t) => t !== 'beamcast');

export type TextKind = 'welcome' | 'chat' | 'frame' | 'other';

const enc = new TextEncoder();
const PREFIX = {
  welcome: enc.encode('{"type":"welcome"'),
  chat: enc.encode('{"type":"chat"'),
  error: enc.encode('{"type":"error"'),
  eioOpen: enc.encode('0{'),
  eioConnected: enc.encode('40'),
  sioChat: enc.encode('42["chat"'),
  paper: enc.encode('{"seq":'),
};

function startsWith(bytes: Uint8Array, len: number, prefix: Uint8Array): boolean {
  if (len < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export function wsPath(target: TargetName, room: string, role: 'viewer' | 'broadcaster', key = ''): string {
  const q = new URLSearchParams({ role });
  if (role === 'broadcaster' && key) q.set('key', key);
  if (target === 'socketio') return `/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}&${q}`;
  return `/ws/${encodeURIComponent(room)}?${q}`;
}

/**
 * Classifies a text message from its first bytes and answers protocol housekeeping
 * (Engine.IO open and ping). Viewers never parse more than this.
 */
export function classifyText(target: TargetName, conn: LeanSocket, bytes: Uint8Array, len: number, total: number): TextKind {
  if (target === 'socketio') {
    if (total === 1 && bytes[0] === 0x32 /* "2": ping */) {
      conn.sendText('3');
      return 'other';
    }
    if (startsWith(bytes, len, PREFIX.eioOpen)) {
      conn.sendText('40');
      return 'other';
    }
    if (startsWith(bytes, len, PREFIX.eioConnected)) return 'welcome';
    if (startsWith(bytes, len, PREFIX.sioChat)) return 'chat';
    return 'other';
  }
  if (target === 'paper' && startsWith(bytes, len, PREFIX.paper)) return 'frame';
  if (startsWith(bytes, len, PREFIX.chat)) return 'chat';
  if (startsWith(bytes, len, PREFIX.welcome)) return 'welcome';
  return 'other';
}

/** True for targets that answer a new connection with a welcome (the clock for time to first frame). */
export function hasWelcome(target: TargetName): boolean {
  return target === 'beamcast' || target === 'socketio';
}

export function encodeChat(target: TargetName, text: string, ref: string): string {
  const body = JSON.stringify({ type: 'chat', text, ref });
  return target === 'socketio' ? `42["chat",${body}]` : body;
}

export interface ChatSeen {
  ref: string;
  text: string;
  /** beamcast's per-room chat id (the relays have none). */
  id: number | null;
}

/** Full parse of a chat message (chatters only). */
export function decodeChat(target: TargetName, text: string): ChatSeen | null {
  try {
    let msg: unknown = target === 'socketio' ? (JSON.parse(text.slice(2)) as unknown[])[1] : JSON.parse(text);
    const m = msg as { type?: unknown; ref?: unknown; text?: unknown; id?: unknown };
    if (m && m.type === 'chat' && typeof m.ref === 'string' && typeof m.text === 'string') {
      return { ref: m.ref, text: m.text, id: typeof m.id === 'number' ? m.id : null };
    }
    msg = null;
  } catch {
    // not ours
  }
  return null;
}

/** The paper relay's text frame starts with {"seq":N,"capturedAt":T,"relayedAt":T,...}. */
export function parsePaperHead(prefix: string): { seq: number; capturedAt: number; relayedAt: number } | null {
  const m = /^\{"seq":(\d+),"capturedAt":([\d.e+]+),"relayedAt":([\d.e+]+)/.exec(prefix);
  return m ? { seq: Number(m[1]), capturedAt: Number(m[2]), relayedAt: Number(m[3]) } : null;
}

/** What the broadcaster sends before each binary frame (Socket.IO announces the attachment). */
export function framePreamble(target: TargetName): string | null {
  return target === 'socketio' ? '451-["frame",{"_placeholder":true,"num":0}]' : null;
}
