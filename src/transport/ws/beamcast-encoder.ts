import type { EventEncoder, RoomEvent } from '../../core/room-events.js';
import type { HistoryMessage, LiveMessage, PresenceMessage, SlowModeMessage } from '../../protocol/index.js';

// Messages of a new chat log that clients fetch after a reset, as many as a join shows.
const RESET_TAIL = 50;

/** Room events as beamcast protocol v1 messages (docs/protocol.md). */
export const beamcastEncoder: EventEncoder = {
  encode(event: RoomEvent): string | null {
    switch (event.type) {
      case 'chat':
        return JSON.stringify(event.msg);
      case 'live': {
        const msg: LiveMessage = { type: 'live', live: event.live, since: event.since, lastFrameAt: event.lastFrameAt };
        return JSON.stringify(msg);
      }
      case 'presence': {
        const msg: PresenceMessage = { type: 'presence', viewers: event.viewers, live: event.live };
        return JSON.stringify(msg);
      }
      case 'chat-reset': {
        // A `history` under another epoch is what clients already treat as "start afresh": they
        // drop what they had, and `more` sends them for the newest messages of the new log, in
        // pages (the reply to everyone at once stays small).
        const from = Math.max(0, event.latestId - RESET_TAIL);
        const msg: HistoryMessage = { type: 'history', chatEpoch: event.epoch, messages: [], latestId: event.latestId, truncated: false, more: event.latestId > 0 };
        if (msg.more) msg.nextSince = from;
        return JSON.stringify(msg);
      }
      case 'audience':
        return event.json;
      case 'slowmode': {
        const msg: SlowModeMessage = { type: 'slowmode', seconds: event.seconds };
        return JSON.stringify(msg);
      }
    }
  },
};
