// An app's webhooks: [{"url", "event_types", "headers"?, "filter"?}], as soketi writes them (its
// SQL app managers store the list as a JSON string, which is accepted too).

import { ConfigError } from '../load-config.js';
import { WEBHOOK_EVENT_TYPES, type PusherWebhook, type WebhookEventType } from './pusher-app.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the sender; a configured header must not replace them.
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'x-pusher-key', 'x-pusher-signature']);
const MAX_WEBHOOKS = 20;

export function parseWebhooks(v: unknown, where: string): PusherWebhook[] {
  let list = v;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      throw new ConfigError(`Invalid configuration: ${where} must be a list of webhooks (or a JSON string of one)`);
    }
  }
  if (!Array.isArray(list)) throw new ConfigError(`Invalid configuration: ${where} must be a list of webhooks`);
  if (list.length > MAX_WEBHOOKS) throw new ConfigError(`Invalid configuration: ${where} lists more than ${MAX_WEBHOOKS} webhooks`);
  return list.map((w, i) => parseWebhook(w, `${where}[${i}]`));
}

function fail(where: string, message: string): never {
  throw new ConfigError(`Invalid configuration: ${where} ${message}`);
}

function parseWebhook(v: unknown, where: string): PusherWebhook {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'must be an object with url and event_types');
  const w = v as Record<string, unknown>;
  for (const k of Object.keys(w)) {
    if (k === 'lambda_function' || k === 'lambda') fail(`${where}.${k}`, 'is not supported: webhooks are HTTP POSTs to a url');
    if (!['url', 'event_types', 'headers', 'filter'].includes(k)) fail(where, `has an unknown field ${JSON.stringify(k)}`);
  }
  let url: URL;
  try {
    url = new URL(String(w.url));
  } catch {
    fail(`${where}.url`, `must be an http or https URL, got ${JSON.stringify(w.url)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || typeof w.url !== 'string') {
    fail(`${where}.url`, `must be an http or https URL, got ${JSON.stringify(w.url)}`);
  }
  if (url.username || url.password) fail(`${where}.url`, 'must not carry a user name or password; use headers');
  if (!Array.isArray(w.event_types) || w.event_types.length === 0) {
    fail(`${where}.event_types`, `must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  }
  const eventTypes = [...new Set(w.event_types)].map((t) => {
    if (!(WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(t)) {
      fail(`${where}.event_types`, `must contain only ${WEBHOOK_EVENT_TYPES.join(', ')}, got ${JSON.stringify(t)}`);
    }
    return t as WebhookEventType;
  });
  const headers: Record<string, string> = {};
  if (w.headers !== undefined && w.headers !== null) {
    if (typeof w.headers !== 'object' || Array.isArray(w.headers)) fail(`${where}.headers`, 'must be an object of header names to strings');
    for (const [name, value] of Object.entries(w.headers as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name)) fail(`${where}.headers`, `has an invalid header name ${JSON.stringify(name)}`);
      if (RESERVED_HEADERS.has(name.toLowerCase())) fail(`${where}.headers`, `must not set ${name}: the sender sets it`);
      if (typeof value !== 'string' || /[\r\n]/.test(value)) fail(`${where}.headers.${name}`, 'must be a single-line string');
      headers[name] = value;
    }
  }
  let channelPrefix: string | null = null;
  let channelSuffix: string | null = null;
  if (w.filter !== undefined && w.filter !== null) {
    if (typeof w.filter !== 'object' || Array.isArray(w.filter)) fail(`${where}.filter`, 'must be an object');
    const f = w.filter as Record<string, unknown>;
    for (const k of Object.keys(f)) {
      if (k !== 'channel_name_starts_with' && k !== 'channel_name_ends_with') fail(`${where}.filter`, `has an unknown field ${JSON.stringify(k)}`);
      if (typeof f[k] !== 'string') fail(`${where}.filter.${k}`, 'must be a string');
    }
    channelPrefix = (f.channel_name_starts_with as string | undefined) || null;
    channelSuffix = (f.channel_name_ends_with as string | undefined) || null;
  }
  return { url: url.href, eventTypes, headers, channelPrefix, channelSuffix };
}
