import { settingsFrom, type ErrorCode, type Grant, type RoomSettings } from '../protocol/index.js';
import { liveRecord } from './broker/room-state.js';
import { effectiveGrants } from './grants.js';
import { addressTag, isIdentity, publicIdOf } from './identity.js';
import { ADDRESS_BAN_PREFIX, BAN_PREFIX, untilOf } from './moderation/moderation-records.js';
import type { RoomRegistry } from './room-registry.js';
import { SETTINGS_KEY } from './room-settings-holder.js';
import { verifyToken } from './viewer-token.js';

/** What a client presents to follow a room from another protocol (Pusher's room channels). */
export interface FollowCredentials {
  /** A viewer token. */
  token?: string;
  /** The channel was signed by an auth endpoint, which answered for access (private-room.{room}). */
  signed?: boolean;
  /** Who asks, for bans (the auth endpoint knows the address and maybe an identity). */
  who?: Visitor;
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

/** Who is asking, as bans know people: their public id (if they sent an identity) and their address, hashed. */
export interface Visitor {
  publicId: string | null;
  addressTag: string | null;
}

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
  | { ok: false; code: ErrorCode; until?: number };

/**
 * Who may do what in a room: the one place every transport (WebSocket upgrades, snapshots and
 * MJPEG, and Pusher channel authorisation) asks. Tokens are checked on their own; whether a room
 * is private comes from the rooms held here or, for others, from the shared store.
 */
export class RoomAccess implements FollowAccess {
  constructor(
    private readonly tokenKey: Buffer,
    private readonly rooms: RoomRegistry,
    private readonly identityKey: Buffer | null = null,
  ) {}

  /** A visitor from an address, with an identity if it sent one (an invalid one counts as none). */
  visitor(room: string, address: string, identity?: string | null): Visitor {
    if (!this.identityKey) return { publicId: null, addressTag: null };
    return {
      publicId: identity && isIdentity(identity) ? publicIdOf(this.identityKey, room, identity) : null,
      addressTag: addressTag(this.identityKey, room, address),
    };
  }

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
   * - A visitor a moderator banned (its id or its address) is BANNED until the ban ends.
   */
  async authorizeRoomAccess(room: string, token: string | null | undefined, grant: Grant, who?: Visitor): Promise<AccessVerdict> {
    if (grant === 'publish') return this.publish(room, token);
    const [settings, banned] = await Promise.all([this.settingsOf(room), who ? this.bannedUntil(room, who) : null]);
    const verdict = this.decide(room, token, grant, settings);
    return verdict.ok && banned !== null ? { ok: false, code: 'BANNED', until: banned } : verdict;
  }

  /** Following a room (Pusher's room channels) is watching it: the same rule, the same tokens. */
  async canFollow(room: string, credentials: FollowCredentials): Promise<FollowVerdict> {
    if (credentials.signed) return 'allowed';
    return (await this.authorizeRoomAccess(room, credentials.token ?? null, 'watch', credentials.who)).ok ? 'allowed' : 'forbidden';
  }

  /**
   * The same answer at once when the room is held here with known settings (the usual case: a
   * join to a room that has people); undefined when only the store can tell.
   */
  authorizeNow(room: string, token: string | null | undefined, grant: Exclude<Grant, 'publish'>, who?: Visitor): AccessVerdict | undefined {
    const held = this.rooms.get(room);
    const settings = held?.settings;
    if (!held || !settings || (who && !held.moderation.isRead)) return undefined;
    const verdict = this.decide(room, token, grant, settings);
    const banned = who ? held.moderation.bannedUntil(who.publicId, who.addressTag) : null;
    return verdict.ok && banned !== null ? { ok: false, code: 'BANNED', until: banned } : verdict;
  }

  /** When a ban of the visitor ends (null: not banned): from the room held here, else the shared store. */
  private async bannedUntil(room: string, who: Visitor): Promise<number | null> {
    const held = this.rooms.get(room);
    if (held?.moderation.isRead) return held.moderation.bannedUntil(who.publicId, who.addressTag);
    const store = this.rooms.broker.roomState;
    const keys = [who.publicId && BAN_PREFIX + who.publicId, who.addressTag && ADDRESS_BAN_PREFIX + who.addressTag].filter((k): k is string => !!k);
    try {
      const records = await Promise.all(keys.map((k) => store.get(room, k)));
      const until = Math.max(0, ...records.map((r) => untilOf(liveRecord(r)?.value) ?? 0));
      return until > Date.now() ? until : null;
    } catch {
      // Unreadable: nobody is held out on a ban nobody can read (bans are no privacy rule).
      return null;
    }
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
