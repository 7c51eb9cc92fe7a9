import { isAudienceRole, type AudienceMember } from '../../protocol/index.js';
import { ROOM_PRESENCE_CHANNEL_PREFIX } from '../../protocol/pusher/room-channels.js';
import type { ChannelSubscriber } from '../channels/channel-events.js';
import type { ChannelHooks } from '../channels/channel-hooks.js';
import type { ChannelHub } from '../channels/channel-hub.js';
import { senderColor } from '../sender-color.js';
import type { AudienceRoster, TransitionListener } from './audience-roster.js';

/** An app whose presence channels list rooms' members, and its member limit. */
export interface RosterApp {
  id: string;
  maxMembers: number;
}

interface Holder {
  room: string;
  sub: ChannelSubscriber;
}

const channelOf = (room: string) => `${ROOM_PRESENCE_CHANNEL_PREFIX}${room}`;

/**
 * Rooms' members are the members of their presence channels, presence-room.{room}, in every
 * app: a native connection counts as a connection of its person there (user_id: the person's
 * id; user_info: name, colour, role), so Pusher clients subscribed to the channel see native
 * viewers as members, and the native list is read from the same channel of the first app (with
 * the Pusher clients that joined it). Each app's member limit applies; the broadcaster is always
 * let in. First joins and last leaves come from the hub, exactly once in the cluster.
 */
export class HubAudienceRoster implements AudienceRoster, Partial<ChannelHooks> {
  private hub: ChannelHub | null = null;
  private readonly holders = new Map<object, Holder>();
  private transition: TransitionListener = () => {};
  private next = 0;

  constructor(private readonly apps: readonly RosterApp[]) {
    if (apps.length === 0) throw new Error('the audience roster needs an app');
  }

  /** The hub is made with these hooks, and this roster uses it: tied once both exist. */
  attach(hub: ChannelHub): void {
    this.hub = hub;
  }

  async join(room: string, conn: object, who: AudienceMember): Promise<boolean> {
    const hub = this.need();
    const sub: ChannelSubscriber = { socketId: `native.${++this.next}`, sendText: () => 'sent', onSendDropped: () => {} };
    this.holders.set(conn, { room, sub });
    const info = JSON.stringify({ name: who.name, color: who.color, role: who.role });
    const outcomes = await Promise.all(
      this.apps.map((app) =>
        hub.addMember(app.id, channelOf(room), sub, { userId: who.id, info, maxMembers: who.role === 'broadcaster' ? Number.MAX_SAFE_INTEGER : app.maxMembers }),
      ),
    );
    // Left while joining: what was just counted goes again.
    if (this.holders.get(conn)?.sub !== sub) this.remove(room, sub);
    return outcomes[0] === 'joined';
  }

  leave(room: string, conn: object): void {
    const h = this.holders.get(conn);
    if (!h || h.room !== room) return;
    this.holders.delete(conn);
    this.remove(room, h.sub);
  }

  async members(room: string): Promise<AudienceMember[]> {
    const members = await this.need().members(this.apps[0]!.id, channelOf(room));
    return [...members].map(([id, info]) => memberOf(id, info));
  }

  watch(room: string, onChange: () => void): () => void {
    return this.need().watchMembers(this.apps[0]!.id, channelOf(room), onChange);
  }

  onTransition(listener: TransitionListener): void {
    this.transition = listener;
  }

  // ---- hooks of the hub ----

  memberAdded(app: string, channel: string, userId: string): void {
    const room = this.roomOf(app, channel);
    if (room !== null) this.transition(room, userId, true);
  }

  memberRemoved(app: string, channel: string, userId: string): void {
    const room = this.roomOf(app, channel);
    if (room !== null) this.transition(room, userId, false);
  }

  private roomOf(app: string, channel: string): string | null {
    return app === this.apps[0]!.id && channel.startsWith(ROOM_PRESENCE_CHANNEL_PREFIX) ? channel.slice(ROOM_PRESENCE_CHANNEL_PREFIX.length) : null;
  }

  private remove(room: string, sub: ChannelSubscriber): void {
    for (const app of this.apps) this.hub?.removeMember(app.id, channelOf(room), sub);
  }

  private need(): ChannelHub {
    if (!this.hub) throw new Error('the audience roster is not attached to a hub');
    return this.hub;
  }
}

/**
 * A member as the presence channel holds it. Native members carry name, colour and role; a
 * Pusher client signed by an auth endpoint carries what that endpoint gave (the server's gives a
 * name and a colour) and is a follower unless the endpoint named a role.
 */
export function memberOf(id: string, info: unknown): AudienceMember {
  const o = (typeof info === 'object' && info !== null ? info : {}) as Record<string, unknown>;
  return {
    id,
    name: typeof o.name === 'string' && o.name !== '' ? o.name : id,
    color: typeof o.color === 'string' ? o.color : senderColor(id),
    role: isAudienceRole(o.role) ? o.role : 'follower',
  };
}

