import type { EventEncoder, RoomEvent } from '../../core/room-events.js';
import type { HistoryMessage, LiveMessage, PresenceMessage } from '../../protocol/index.js';

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
        // A `history` under another epoch is what clients already treat as "start afresh".
        const msg: HistoryMessage = { type: 'history', chatEpoch: event.epoch, messages: event.messages, latestId: event.latestId, truncated: false };
        return JSON.stringify(msg);
      }
    }
  },
};
