import { settingsFrom, type ErrorCode, type ModeratedMessage, type RoomSettings } from '../../protocol/index.js';
import { BusUnavailableError, type Broker, type ChatDraft } from '../broker/broker.js';
import { ROOM_SENDER, isRemovable } from '../chat-record.js';
import type { Log } from '../log.js';
import type { RoomChat } from '../room-chat.js';
import { SETTINGS_KEY } from '../room-settings-holder.js';
import type { ModerationOrder } from './moderate-request.js';
import { BAN_PREFIX, KICK_PREFIX, KICK_RECORD_MS, MUTE_PREFIX } from './moderation-records.js';

/** What carrying out an action needs of its room. */
export interface ModerationContext {
  room: string;
  broker: Broker;
  chat: RoomChat;
  /** Whether the id is the room's broadcaster's (nobody may act on the broadcaster). */
  isBroadcaster(id: string): boolean;
  /** New settings (slow mode), in force here at once; the other nodes hear the store. */
  applySettings(settings: RoomSettings): void;
  log: Log;
}

export type ModerationResult = { ok: true; ack: ModeratedMessage } | { ok: false; code: ErrorCode };

const DELETE_TEXT = 'A message was removed by a moderator.';
const CLEAR_TEXT = 'The chat was cleared by a moderator.';

/**
 * Carries out an action a moderator may take (the caller checked the `moderate` grant). Every
 * effect goes through what every node hears: deletes and clears are markers posted to the chat
 * (ids, history, recovery, Pusher followers), then the stored messages are redacted; mutes, bans,
 * kicks and slow mode are room records. Resolves once stored and announced; MODERATION_UNAVAILABLE
 * when the shared store cannot be reached (nothing changed).
 */
export async function performModeration(ctx: ModerationContext, order: ModerationOrder, now = Date.now()): Promise<ModerationResult> {
  const { room, broker } = ctx;
  if ('target' in order && ctx.isBroadcaster(order.target)) return { ok: false, code: 'NOT_ALLOWED' };
  try {
    switch (order.action) {
      case 'delete': {
        const m = ctx.chat.find(order.id);
        if (!m || m.id !== order.id || !isRemovable(m)) return { ok: false, code: 'NO_SUCH_MESSAGE' };
        await ctx.chat.post(marker('delete', DELETE_TEXT, now, order.id));
        redact(ctx, { ids: [order.id] });
        return done({ type: 'moderated', action: 'delete', id: order.id });
      }
      case 'clear': {
        const posted = await ctx.chat.post(marker('clear', CLEAR_TEXT, now));
        redact(ctx, { through: posted.id - 1 });
        return done({ type: 'moderated', action: 'clear' });
      }
      case 'mute':
      case 'ban': {
        const until = now + order.seconds * 1000;
        await broker.roomState.set(room, (order.action === 'mute' ? MUTE_PREFIX : BAN_PREFIX) + order.target, { until }, order.seconds * 1000);
        return done({ type: 'moderated', action: order.action, target: order.target, seconds: order.seconds, until });
      }
      case 'unmute':
        await broker.roomState.delete(room, MUTE_PREFIX + order.target);
        return done({ type: 'moderated', action: 'unmute', target: order.target });
      case 'kick':
        await broker.roomState.set(room, KICK_PREFIX + order.target, { at: now }, KICK_RECORD_MS);
        return done({ type: 'moderated', action: 'kick', target: order.target });
      case 'slowmode': {
        const record = await broker.roomState.merge(room, SETTINGS_KEY, { slowModeSeconds: order.seconds });
        ctx.applySettings(settingsFrom(record.value));
        return done({ type: 'moderated', action: 'slowmode', seconds: order.seconds });
      }
    }
  } catch (err) {
    if (!(err instanceof BusUnavailableError)) ctx.log.error({ err, room }, 'moderation action failed');
    return { ok: false, code: 'MODERATION_UNAVAILABLE' };
  }
}

const done = (ack: ModeratedMessage): ModerationResult => ({ ok: true, ack });

function marker(kind: 'delete' | 'clear', text: string, at: number, target?: number): ChatDraft {
  const draft: ChatDraft = { type: 'chat', at, from: ROOM_SENDER, text, kind };
  if (target !== undefined) draft.target = target;
  return draft;
}

/** The markers already hide the text everywhere; this removes it from the stored log too, best effort. */
function redact(ctx: ModerationContext, r: { ids: number[] } | { through: number }): void {
  ctx.broker.redactChat(ctx.room, r).catch((err: unknown) => {
    ctx.log.warn({ room: ctx.room, err: err instanceof Error ? err.message : String(err) }, 'removed chat text not redacted in the log');
  });
}
