import type { ErrorMessage, Grant, ModeratedMessage, ServerMessage, WelcomeMessage } from '../../src/protocol/index.js';
import { AudienceView } from './audience-view.js';
import type { Moderate } from './chat-moderation.js';
import type { ChatView } from './chat-view.js';
import { byId } from './dom.js';
import { duration } from './format.js';
import { ModerationTools } from './moderation-tools.js';
import type { RoomSocket } from './room-socket.js';

/**
 * The people side of a room page, the same on the camera and viewer pages: the viewer list, the
 * moderation controls for a connection that may moderate, mutes and slow mode for the chat box,
 * and what the server says about moderation actions.
 */
export class RoomPeople {
  readonly audience: AudienceView;
  private readonly tools: ModerationTools;
  private socket: RoomSocket | null = null;

  constructor(private readonly chat: ChatView) {
    this.audience = new AudienceView({ box: byId<HTMLDetailsElement>('audience'), summary: byId('audience-summary'), list: byId('audience-list') }, chat.tags);
    this.tools = new ModerationTools({ box: byId('mod-tools'), slowMode: byId<HTMLSelectElement>('slow-mode'), clear: byId<HTMLButtonElement>('clear-chat') });
  }

  attach(socket: RoomSocket): void {
    this.socket = socket;
  }

  onWelcome(w: WelcomeMessage): void {
    this.chat.setYou(w.you);
    this.audience.setYou(w.you.id);
    this.audience.stale(false);
    this.setGrants(w.grants);
    this.slowMode(w.slowModeSeconds ?? 0);
    this.chat.setMuted(w.mutedUntil ? w.mutedUntil - w.serverTime : null);
  }

  setGrants(grants: readonly Grant[]): void {
    const moderate: Moderate | null = grants.includes('moderate') ? (req) => void this.socket?.send({ type: 'moderate', ...req }) : null;
    this.chat.setModerator(moderate);
    this.audience.setModerator(moderate);
    this.tools.set(moderate);
  }

  /** The connection is down: what the list says is no longer known. */
  disconnected(): void {
    this.audience.stale(true);
  }

  /** Handles what concerns people; false for anything else. */
  onMessage(msg: ServerMessage): boolean {
    switch (msg.type) {
      case 'audience':
        this.audience.show(msg);
        return true;
      case 'muted':
        this.chat.setMuted(msg.until === null ? null : msg.until - this.serverNow());
        if (msg.until !== null) this.chat.info(`A moderator muted you for ${duration(msg.until - this.serverNow())}.`);
        return true;
      case 'slowmode':
        this.slowMode(msg.seconds);
        return true;
      case 'moderated':
        this.chat.info(this.said(msg));
        return true;
      case 'error':
        return this.chat.showError(msg, this.leftMs(msg));
      default:
        return false;
    }
  }

  private slowMode(seconds: number): void {
    this.chat.setSlowMode(seconds);
    this.tools.showSlowMode(seconds);
  }

  private serverNow(): number {
    return this.socket?.clock.serverNow() ?? Date.now();
  }

  private leftMs(msg: ErrorMessage): number | undefined {
    return msg.until === undefined ? undefined : msg.until - this.serverNow();
  }

  /** A moderation action done, in words for the moderator. */
  private said(m: ModeratedMessage): string {
    const who = (m.target && this.audience.nameOf(m.target)) ?? 'them';
    switch (m.action) {
      case 'delete':
        return 'Message deleted for everyone.';
      case 'clear':
        return 'Chat cleared for everyone.';
      case 'mute':
        return `Muted ${who} for ${duration((m.seconds ?? 0) * 1000)}.`;
      case 'unmute':
        return `${who} may chat again.`;
      case 'kick':
        return `Removed ${who} from the room.`;
      case 'ban':
        return `Banned ${who} for ${duration((m.seconds ?? 0) * 1000)}.`;
      case 'slowmode':
        return m.seconds ? `Slow mode on: one message every ${m.seconds} s per person.` : 'Slow mode off.';
    }
  }
}
