// The events a webhook reports, in the form Pusher sends them inside {"time_ms", "events": [...]}.

export type WebhookEvent =
  | { name: 'channel_occupied'; channel: string }
  | { name: 'channel_vacated'; channel: string }
  | { name: 'member_added'; channel: string; user_id: string }
  | { name: 'member_removed'; channel: string; user_id: string }
  | {
      name: 'client_event';
      channel: string;
      event: string;
      /** The event's data as a string, as Pusher reports it. */
      data: string;
      socket_id: string;
      /** The sender's user id, on presence channels. */
      user_id?: string;
    }
  | { name: 'cache_miss'; channel: string };

export type WebhookEventName = WebhookEvent['name'];
