import { settingsFrom, type ErrorCode, type Grant, type RoomSettings } from '../protocol/index.js';
import { liveRecord } from './broker/room-state.js';
import { effectiveGrants } from './grants.js';
import type { RoomRegistry } from './room-registry.js';
import { SETTINGS_KEY } from './room-settings-holder.js';
import { verifyToken } from './viewer-token.js';

/** What a client presents to follow a room from another protocol (Pusher's room channels): a viewer token, if any. */
export interface FollowCredentials {
  token?: string;
}

export type FollowVerdict = 'allowed' | 'forbidden';

/** Who may follow a room's chat and presence from outside our own protocol. */
export interface FollowAccess {
  canFollow(room: string, credentials: FollowCredentials): Promise<FollowVerdict> | FollowVerdict;
}

/** Every room is public: anyone may follow it (transports tested on their own). */
export const publicRoomAccess: FollowAccess = {
  canFollow: () => 'allowed',
};

export type AccessVerdict =
  | {
      ok: true;
      /** The room needs a token (as far as this node knows; null: not known). */
      private: boolean | null;
      /** What a valid token grants (null: no valid token). */
      tokenGrants: Grant[] | null;
      /** What the caller may do now. */
      grants: Grant[];
      /** A token that did not verify, in a room where none was needed: tell the client, admit it anyway. */
      tokenError: ErrorCode | null;
    }
  | { ok: false; code: ErrorCode };

/**
 * Who may do what in a room: the one place every transport (WebSocket upgrades, snapshots and
 * MJPEG, and Pusher channel authorisation) asks. Tokens are checked on their own; whether a room
 * is private comes from the rooms held here or, for others, from the shared store.
 */
export class RoomAccess implements FollowAccess {
  constructor(
    private readonly tokenKey: Buffer,
    private readonly rooms: RoomRegistry,
  ) {}

  /**
   * May the holder of `token` (or nobody's, when it is null or empty) do `grant` in `room`?
   *
   * - `publish` always needs a valid token that grants it (the stream key is checked elsewhere).
   * - In a public room `watch` and `chat` need no token; a token that does not verify there is
   *   reported (`tokenError`) but does not refuse.
   * - In a private room: no token is TOKEN_REQUIRED, a bad or expired one BAD_TOKEN or
   *   TOKEN_EXPIRED, one without the grant NOT_ALLOWED. While the room's settings cannot be read,
   *   a token with the grant is enough and nothing else is (SETTINGS_UNAVAILABLE): privacy never
   *   depends on the bus being up.
   */
  async authorizeRoomAccess(room: string, token: string | null | undefined, grant: Grant): Promise<AccessVerdict> {
    if (grant === 'publish') return this.publish(room, token);
    return this.decide(room, token, grant, await this.settingsOf(room));
  }

  /** Following a room (Pusher's room channels) is watching it: the same rule, the same tokens. */
  async canFollow(room: string, credentials: FollowCredentials): Promise<FollowVerdict> {
    return (await this.authorizeRoomAccess(room, credentials.token ?? null, 'watch')).ok ? 'allowed' : 'forbidden';
  }

  /**
   * The same answer at once when the room is held here with known settings (the usual case: a
   * join to a room that has people); undefined when only the store can tell.
   */
  authorizeNow(room: string, token: string | null | undefined, grant: Exclude<Grant, 'publish'>): AccessVerdict | undefined {
    const settings = this.rooms.get(room)?.settings;
    return settings ? this.decide(room, token, grant, settings) : undefined;
  }

  private publish(room: string, token: string | null | undefined): AccessVerdict {
    if (!token) return { ok: false, code: 'BAD_KEY' };
    const check = verifyToken(this.tokenKey, token, room);
    if (!check.ok) return { ok: false, code: check.code };
    if (!check.claims.grants.includes('publish')) return { ok: false, code: 'NOT_ALLOWED' };
    return { ok: true, private: null, tokenGrants: check.claims.grants, grants: effectiveGrants('broadcaster', check.claims.grants, false), tokenError: null };
  }

  private decide(room: string, token: string | null | undefined, grant: Grant, settings: RoomSettings | null): AccessVerdict {
    const check = token ? verifyToken(this.tokenKey, token, room) : null;
    const tokenGrants = check?.ok ? check.claims.grants : null;
    const tokenError = check && !check.ok ? check.code : null;
    if (settings === null) {
      if (tokenGrants?.includes(grant)) return { ok: true, private: null, tokenGrants, grants: [...tokenGrants], tokenError: null };
      return { ok: false, code: tokenError ?? 'SETTINGS_UNAVAILABLE' };
    }
    const grants = effectiveGrants('viewer', tokenGrants, settings.private);
    if (grants.includes(grant)) return { ok: true, private: settings.private, tokenGrants, grants, tokenError };
    return { ok: false, code: tokenError ?? (tokenGrants ? 'NOT_ALLOWED' : 'TOKEN_REQUIRED') };
  }

  /** A room's settings: the copy of a room held here, else the shared store's; null when neither can tell. */
  async settingsOf(room: string): Promise<RoomSettings | null> {
    const held = this.rooms.get(room)?.settings;
    if (held) return held;
    try {
      return settingsFrom(liveRecord(await this.rooms.broker.roomState.get(room, SETTINGS_KEY))?.value);
    } catch {
      return null;
    }
  }
}
