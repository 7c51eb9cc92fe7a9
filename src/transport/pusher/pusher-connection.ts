import type { PusherApp } from '../../config/pusher-apps/pusher-app.js';
import type { AppConnection } from '../../core/channels/app-connections.js';
import type { ChannelSubscriber } from '../../core/channels/channel-events.js';
import type { ChannelHub } from '../../core/channels/channel-hub.js';
import type { Log } from '../../core/log.js';
import type { SendResult } from '../../core/peer.js';
import { decodeClientMessage, type PusherClientMessage } from '../../protocol/pusher/client-messages.js';
import { PusherErrorCodes, type PusherErrorName, type PusherSubscriptionErrorName } from '../../protocol/pusher/codes.js';
import { parseUserData } from '../../protocol/pusher/signin-user.js';
import {
  connectionEstablished,
  PING,
  PONG,
  pusherError,
  signinSuccess,
  subscriptionError,
} from '../../protocol/pusher/server-messages.js';
import { ActivityClock } from './activity-clock.js';
import { ConnectionLimits } from './connection-limits.js';
import { ConnectionSubscriptions } from './connection-subscriptions.js';
import type { PusherPeer } from './pusher-peer.js';
import type { PusherTelemetry } from './pusher-telemetry.js';
import type { RoomFollowers } from './rooms/room-followers.js';
import { verifyUserAuth } from './signing/user-auth.js';
import { newSocketId } from './socket-id.js';

export interface PusherConnectionDeps {
  hub: ChannelHub;
  followers: RoomFollowers;
  telemetry: PusherTelemetry;
  log: Log;
  /** Channels one connection may be subscribed to at once. */
  maxChannels: number;
  /** With enable_user_authentication, how long a connection may stay without pusher:signin. */
  signinTimeoutMs: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * One Pusher protocol 7 connection's state machine: connection_established, ping/pong and the
 * server's own liveness checks, subscriptions (with auth), sign-in, client events and the app's
 * limits. The transport feeds it messages; channels are the hub's.
 */
export class PusherConnection implements ChannelSubscriber, AppConnection {
  readonly socketId = newSocketId();
  userId: string | null = null;
  private readonly subs: ConnectionSubscriptions;
  private readonly activity: ActivityClock;
  private readonly openedAt: number;
  private counted = false;
  private closing: PusherErrorName | null = null;
  private ended = false;
  private readonly limits: ConnectionLimits;

  constructor(
    readonly peer: PusherPeer,
    private readonly app: PusherApp,
    private readonly deps: PusherConnectionDeps,
    now = Date.now(),
  ) {
    this.activity = new ActivityClock(app.pingInterval * 1000, now);
    this.limits = new ConnectionLimits(app, deps.maxChannels);
    this.subs = new ConnectionSubscriptions(this, app, deps, (channel, error) => this.subscriptionFailed(channel, error));
    this.openedAt = now;
  }

  /** A child logger per use: a connection logs a few lines in its life; keeping one costs ~1 KB each. */
  private get log(): Log {
    return this.deps.log.child({ socket: this.socketId, app: this.app.id });
  }

  /** Counts the connection against the app's quota and greets it. */
  start(): void {
    if (!this.deps.hub.connections.open(this.app.id, this, this.app.maxConnections)) {
      this.deps.telemetry.connectionRefused('APP_OVER_QUOTA');
      return this.fail('APP_OVER_QUOTA');
    }
    this.counted = true;
    this.peer.sendText(connectionEstablished(this.socketId, this.app.activityTimeout));
    this.deps.telemetry.connectionOpened();
    this.log.info({ origin: this.peer.admission.origin || undefined }, 'pusher connection open');
  }

  onMessage(bytes: Uint8Array, isBinary: boolean): void {
    const now = Date.now();
    if (this.closing || this.ended) return;
    if (bytes.length > this.app.maxMessageSize) return this.refuse('MESSAGE_TOO_LARGE', now);
    let text: string;
    try {
      if (isBinary) throw new Error('binary');
      text = decoder.decode(bytes);
    } catch {
      return this.refuse('BAD_MESSAGE', now);
    }
    const d = decodeClientMessage(text);
    if (!d.ok) {
      this.activity.heard(now, false);
      return this.refuse(d.error, now, d.channel);
    }
    const m = d.message;
    this.activity.heard(now, m.type === 'ping' || m.type === 'pong');
    if (m.type !== 'ping' && m.type !== 'pong' && !this.withinMessageRate(now)) return;
    this.handle(m, now);
  }

  /** The server's periodic look at this connection. */
  tick(now: number): void {
    if (this.closing || this.ended) return;
    if (this.app.enableUserAuthentication && this.userId === null && now - this.openedAt > this.deps.signinTimeoutMs) {
      return this.fail('UNAUTHORIZED', 'connection is unauthorized: pusher:signin is required');
    }
    const v = this.activity.check(now);
    if (v === 'ping') this.peer.sendText(PING);
    else if (v !== 'ok') this.fail(v);
  }

  // ---- ChannelSubscriber / AppConnection ----

  sendText(text: string): SendResult {
    return this.peer.sendText(text);
  }

  onSendDropped(): void {
    this.fail('SLOW_CONSUMER');
  }

  terminate(): void {
    this.fail('UNAUTHORIZED', 'connection closed by the app');
  }

  /** Closes with SHUTTING_DOWN (pusher-js reconnects at once, elsewhere when a balancer is in front). */
  shutdown(): void {
    this.fail('SHUTTING_DOWN');
  }

  /** The socket closed (either side): everything this connection held is let go. */
  end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.subs.clear();
    if (!this.counted) return;
    this.deps.hub.connections.close(this.app.id, this);
    this.deps.telemetry.connectionClosed(this.closing ?? 'client');
    this.log.info({ code, reason: this.closing ?? 'client' }, 'pusher connection closed');
  }

  // ---- messages ----

  private handle(m: PusherClientMessage, now: number): void {
    switch (m.type) {
      case 'ping':
        this.peer.sendText(PONG);
        return;
      case 'pong':
        return;
      case 'subscribe':
        if (!this.limits.subscribe(now)) return this.rateLimited(m.channel, now);
        void this.subs.subscribe(m.channel, m.auth, m.channelData);
        return;
      case 'unsubscribe':
        this.subs.unsubscribe(m.channel);
        return;
      case 'signin':
        return this.signin(m.auth, m.userData);
      case 'client_event':
        return this.clientEvent(m.event, m.channel, m.data, now);
    }
  }

  private subscriptionFailed(channel: string, error: PusherSubscriptionErrorName): void {
    if (this.ended) return;
    this.deps.telemetry.subscriptionRefused(error);
    this.log.info({ channel: channel.slice(0, 164), error }, 'subscription refused');
    this.peer.sendText(subscriptionError(channel, error));
    // Wrong signatures and names are what a prober sends: they count as invalid messages.
    if (error === 'AUTH_FAILED' || error === 'BAD_CHANNEL_NAME' || error === 'BAD_CHANNEL_DATA') this.strike(Date.now(), error);
  }

  private signin(auth: string, userData: string): void {
    const user = parseUserData(userData);
    if (!user || !verifyUserAuth(this.app, auth, this.socketId, userData) || (this.userId !== null && this.userId !== user.id)) {
      return this.fail('UNAUTHORIZED', 'connection is unauthorized: pusher:signin failed');
    }
    if (this.userId === null) {
      this.userId = user.id;
      this.deps.hub.connections.signedIn(this.app.id, this, user.id);
    }
    this.peer.sendText(signinSuccess(userData));
  }

  private clientEvent(event: string, channel: string, data: unknown, now: number): void {
    if (!this.app.enableClientMessages) return this.refuse('CLIENT_EVENTS_DISABLED', now, channel);
    const sub = this.subs.get(channel);
    if (!sub?.active || (sub.kind !== 'private' && sub.kind !== 'presence')) return this.refuse('CLIENT_EVENT_NOT_ALLOWED', now, channel);
    if (!this.limits.clientEvent(now)) {
      this.peer.sendText(pusherError('CLIENT_EVENT_RATE_LIMITED', channel));
      if (this.limits.overLimit(now)) this.tooManyStrikes('CLIENT_EVENT_RATE_LIMITED');
      return;
    }
    const text = typeof data === 'string' ? data : JSON.stringify(data ?? null);
    this.deps.telemetry.eventsAccepted('client', 1);
    const sender = { socketId: this.socketId, userId: sub.kind === 'presence' ? sub.userId : undefined, cache: sub.cache };
    this.deps.hub.clientEvent(this.app.id, channel, event, text, sender).catch(() => {
      if (!this.ended) this.peer.sendText(pusherError('BUS_UNAVAILABLE', channel));
    });
  }

  /** Reverb's rate_limiting: every message but ping and pong counts. */
  private withinMessageRate(now: number): boolean {
    if (this.limits.message(now)) return true;
    this.peer.sendText(pusherError('CLIENT_EVENT_RATE_LIMITED', undefined, 'rate limit exceeded'));
    if (this.app.messageRateLimit?.terminateOnLimit) this.fail('POLICY_VIOLATION', 'rate limit exceeded');
    else if (this.limits.overLimit(now)) this.tooManyStrikes('CLIENT_EVENT_RATE_LIMITED');
    return false;
  }

  /** Subscribing faster than SUBSCRIBE_RATE: refused like a subscription over a limit. */
  private rateLimited(channel: string, now: number): void {
    this.deps.telemetry.subscriptionRefused('SUBSCRIBE_RATE_LIMITED');
    this.peer.sendText(subscriptionError(channel, 'SUBSCRIBE_RATE_LIMITED'));
    if (this.limits.overLimit(now)) this.tooManyStrikes('SUBSCRIBE_RATE_LIMITED');
  }

  // ---- errors ----

  /** Refuses an invalid message with its code; too many close the connection (4300). */
  private refuse(name: PusherErrorName, now: number, channel?: string): void {
    this.peer.sendText(pusherError(name, channel));
    this.strike(now, name);
  }

  private strike(now: number, why: string): void {
    if (this.limits.strike(now)) this.tooManyStrikes(why);
  }

  private tooManyStrikes(why: string): void {
    this.log.warn({ last: why, strikes: this.limits.strikeCount }, 'too many invalid messages');
    this.fail('POLICY_VIOLATION');
  }

  /** Sends a catalog error; one that closes closes the connection with its code. */
  private fail(name: PusherErrorName, message?: string): void {
    if (this.closing || this.ended) return;
    const e = PusherErrorCodes[name];
    this.peer.sendText(pusherError(name, undefined, message));
    if (!e.closes) return;
    this.closing = name;
    this.log.info({ code: e.code, reason: name }, 'closing pusher connection');
    this.peer.close(e.code, message ?? e.message);
  }
}
