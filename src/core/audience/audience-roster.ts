import type { AudienceMember } from '../../protocol/index.js';

/** A member's first connection in the cluster joined (true), or its last one left (false). */
export type TransitionListener = (room: string, userId: string, joined: boolean) => void;

/**
 * Who is in each room, shared by every node: each connection of a person counts for that person,
 * and the cluster-wide list is what everyone sees. The server's roster is the rooms' presence
 * channels (hub-audience-roster.ts), so Pusher clients see the same members; a single process
 * without one keeps it in memory (memory-audience-roster.ts).
 */
export interface AudienceRoster {
  /**
   * Counts `conn` as a connection of `who` in the room. Resolves false when `who` is not listed
   * (the member limit was reached), true otherwise.
   */
  join(room: string, conn: object, who: AudienceMember): Promise<boolean>;
  /** `conn` (joined before) no longer counts. */
  leave(room: string, conn: object): void;
  /** The room's members in the whole cluster. Rejects when they cannot be read now. */
  members(room: string): Promise<AudienceMember[]>;
  /** Calls `onChange` when a member may have been added or removed anywhere, until the returned function is called. */
  watch(room: string, onChange: () => void): () => void;
  /**
   * Where first joins and last leaves made by this node go (each is reported by exactly one node
   * in the cluster): the rooms' join and leave notices.
   */
  onTransition(listener: TransitionListener): void;
}
