import type { ChannelHooks } from '../../../core/channels/channel-hooks.js';
import type { WebhookSender } from './webhook-sender.js';

/** The hub's channel hooks as webhooks of each app (only the events some webhook asked for are built). */
export function webhookHooks(sender: WebhookSender): ChannelHooks {
  return {
    occupied: (app, channel) => sender.send(app, { name: 'channel_occupied', channel }),
    vacated: (app, channel) => sender.send(app, { name: 'channel_vacated', channel }),
    memberAdded: (app, channel, userId) => sender.send(app, { name: 'member_added', channel, user_id: userId }),
    memberRemoved: (app, channel, userId) => sender.send(app, { name: 'member_removed', channel, user_id: userId }),
    clientEvent: (app, channel, event, data, socketId, userId) => {
      if (!sender.wants(app, 'client_event')) return;
      sender.send(app, userId === undefined ? { name: 'client_event', channel, event, data, socket_id: socketId } : { name: 'client_event', channel, event, data, socket_id: socketId, user_id: userId });
    },
    cacheMiss: (app, channel) => sender.send(app, { name: 'cache_miss', channel }),
  };
}
