// Event names. Clients may only trigger `client-` events; `pusher:` and `pusher_internal:` belong
// to the protocol itself and are never accepted as application events from anyone.

export const MAX_EVENT_NAME_LENGTH = 200;
export const CLIENT_EVENT_PREFIX = 'client-';

export type EventNameClass = 'client' | 'protocol' | 'server';

export function classifyEventName(name: string): EventNameClass {
  if (name.startsWith('pusher:') || name.startsWith('pusher_internal:')) return 'protocol';
  if (name.startsWith(CLIENT_EVENT_PREFIX)) return 'client';
  return 'server';
}

function sized(name: string): boolean {
  return name.length > 0 && name.length <= MAX_EVENT_NAME_LENGTH;
}

/** A name a client may send on a channel: `client-` and something after it. */
export function isClientEventName(name: string): boolean {
  return sized(name) && name.length > CLIENT_EVENT_PREFIX.length && classifyEventName(name) === 'client';
}

/** A name the HTTP API may trigger: anything but the protocol's own prefixes. */
export function isTriggerableEventName(name: string): boolean {
  return sized(name) && classifyEventName(name) !== 'protocol';
}
