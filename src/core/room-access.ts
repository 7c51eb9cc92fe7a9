/** What a client presents to follow a room: nothing for a public room; a viewer token once rooms can be private. */
export interface FollowCredentials {
  token?: string;
}

export type FollowVerdict = 'allowed' | 'forbidden';

/**
 * Who may follow a room's chat and presence from outside our own protocol (the Pusher channels
 * room.{room} and presence-room.{room}, and the auth endpoint that signs the latter). One policy
 * for every transport, so that private rooms, when they come, close every way in at once.
 */
export interface RoomAccess {
  canFollow(room: string, credentials: FollowCredentials): FollowVerdict;
}

/** Every room is public: anyone may follow it. */
export const publicRoomAccess: RoomAccess = {
  canFollow: () => 'allowed',
};
