import type { BroadcastClaim } from '../../core/broker/broker.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

interface Held {
  fence: number;
  /** The claim as stored: renewals and release compare it exactly. */
  value: string;
  /** Claimed while the bus was down: made when it returns. */
  pending: boolean;
}

export interface ClaimsOptions {
  conns: RedisConnections;
  keys: RedisKeys;
  nodeId: string;
  leaseMs: number;
  /** How long fence counters are kept: longer than any claim can live. */
  fenceTtlMs: number;
  /** Our claim on a room was taken by a newer one (`claim`, when known). */
  onLost(room: string, claim: BroadcastClaim | null): void;
}

/**
 * The broadcaster claims this node holds: one per room, a lease renewed every third of its
 * length, with a fencing token that only grows. A node that dies stops renewing, so its claims
 * expire and the other nodes see the room go offline.
 */
export class RedisClaims {
  private readonly held = new Map<string, Held>();

  constructor(private readonly o: ClaimsOptions) {}

  has(room: string): boolean {
    return this.held.has(room);
  }

  rooms(): IterableIterator<string> {
    return this.held.keys();
  }

  /** The fence of a claim that is in force (not pending), or null. */
  fence(room: string): number | null {
    const h = this.held.get(room);
    return h && !h.pending ? h.fence : null;
  }

  claim(room: string): void {
    const held: Held = { fence: 0, value: '', pending: true };
    this.held.set(room, held);
    if (this.o.conns.isUp) void this.make(room, held);
  }

  release(room: string): void {
    const held = this.held.get(room);
    if (!held) return;
    this.held.delete(room);
    if (!held.pending && this.o.conns.isUp) {
      const { keys } = this.o;
      this.o.conns.cmd.releaseClaim(keys.claim(room), keys.roomChannel(room), held.value, this.o.nodeId, held.fence).catch(() => {});
    }
  }

  /** Another node's claim arrived: ours, if any, is over. Returns whether we held one. */
  drop(room: string): boolean {
    return this.held.delete(room);
  }

  async current(room: string): Promise<BroadcastClaim | null> {
    if (!this.o.conns.isUp) return null;
    return parseClaim(await this.o.conns.cmd.get(this.o.keys.claim(room)).catch(() => null));
  }

  /** After reconnecting: claims made while the bus was down are made now. */
  makePending(): void {
    for (const [room, held] of this.held) if (held.pending) void this.make(room, held);
  }

  async renewAll(): Promise<void> {
    const { conns, keys } = this.o;
    await Promise.all(
      [...this.held].map(async ([room, held]) => {
        if (held.pending) return;
        try {
          const r = await conns.cmd.renewClaim(keys.claim(room), keys.fence(room), keys.roomChannel(room), held.value, this.o.leaseMs, held.fence, this.o.fenceTtlMs);
          if (r === 0 && this.held.get(room) === held) {
            this.held.delete(room);
            this.o.onLost(room, await this.current(room));
          }
        } catch (err) {
          conns.noteError(err, 'renew claim');
        }
      }),
    );
  }

  /** Pipelined releases for a clean shutdown. */
  releaseAll(p: { releaseClaim(...args: (string | number)[]): unknown }): void {
    const { keys } = this.o;
    for (const [room, h] of this.held) if (!h.pending) p.releaseClaim(keys.claim(room), keys.roomChannel(room), h.value, this.o.nodeId, h.fence);
    this.held.clear();
  }

  private async make(room: string, held: Held): Promise<void> {
    const { conns, keys } = this.o;
    try {
      const [fence, value] = await conns.cmd.claimRoom(keys.claim(room), keys.fence(room), keys.roomChannel(room), this.o.nodeId, Date.now(), this.o.leaseMs, this.o.fenceTtlMs);
      // Released or claimed again meanwhile: the newer intent stands.
      if (this.held.get(room) !== held) return;
      held.fence = Number(fence);
      held.value = value;
      held.pending = false;
    } catch (err) {
      conns.noteError(err, 'claim');
    }
  }
}

export function parseClaim(v: string | null): BroadcastClaim | null {
  if (!v) return null;
  try {
    const c = JSON.parse(v) as BroadcastClaim;
    return typeof c.node === 'string' && Number.isSafeInteger(c.fence) ? c : null;
  } catch {
    return null;
  }
}
