import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';

// Without a consumer on another node, the cached frame (for late joiners anywhere) is refreshed
// at most this often; with one, every frame is stored before its notice goes out.
const IDLE_CACHE_INTERVAL_MS = 1000;
const RELAYED_AT_OFFSET = 16;

interface Outgoing {
  busy: boolean;
  pending: Uint8Array | null;
  /** Other nodes that took the last notice. */
  remote: number;
  cachedAt: number;
}

interface Incoming {
  fetching: boolean;
  again: boolean;
  relayedAt: number;
  seq: number;
}

export interface FrameRelayOptions {
  cmd: Redis;
  keys: RedisKeys;
  nodeId: string;
  /** How long a cached frame outlives its room's last activity. */
  ttlMs: number;
  /** Whether this node itself subscribes to the tier's notices (then it counts among the receivers). */
  subscribed(room: string, tier: string): boolean;
  deliver(room: string, tier: string, frame: Uint8Array): void;
  onError(err: unknown): void;
}

export interface FrameStats {
  published: number;
  stored: number;
  skipped: number;
  fetched: number;
  fetchedBytes: number;
}

/**
 * Frames between nodes, latest-frame-wins at every hop. The publishing node stores a tier's
 * frame in one key and publishes a small notice; a consuming node fetches the key when notified,
 * one fetch at a time per tier: notices that arrive during a fetch cost one more fetch, of the
 * newest frame. So a frame crosses Redis once per consuming node, a slow node skips frames
 * instead of queuing them, and the key doubles as the late joiner's cache.
 */
export class FrameRelay {
  private readonly out = new Map<string, Outgoing>();
  private readonly in = new Map<string, Incoming>();
  readonly stats: FrameStats = { published: 0, stored: 0, skipped: 0, fetched: 0, fetchedBytes: 0 };

  constructor(private readonly opts: FrameRelayOptions) {}

  publish(room: string, tier: string, frame: Uint8Array, fence: number): void {
    const id = `${room}\n${tier}`;
    let st = this.out.get(id);
    if (!st) {
      st = { busy: false, pending: null, remote: 0, cachedAt: 0 };
      this.out.set(id, st);
    }
    if (st.busy) {
      if (st.pending) this.stats.skipped++;
      st.pending = frame;
      return;
    }
    void this.send(room, tier, st, frame, fence);
  }

  private async send(room: string, tier: string, st: Outgoing, frame: Uint8Array, fence: number): Promise<void> {
    const { cmd, keys } = this.opts;
    st.busy = true;
    try {
      const now = Date.now();
      const store = st.remote > 0 || now - st.cachedAt >= IDLE_CACHE_INTERVAL_MS;
      const notice = `${this.opts.nodeId} ${fence}`;
      const p = cmd.pipeline();
      if (store) p.set(keys.frame(room, tier), Buffer.from(frame.buffer, frame.byteOffset, frame.length), 'PX', this.opts.ttlMs);
      p.publish(keys.frameChannel(room, tier), notice);
      const res = await p.exec();
      const receivers = Number(res?.at(-1)?.[1] ?? 0);
      st.remote = Math.max(0, receivers - (this.opts.subscribed(room, tier) ? 1 : 0));
      if (store) {
        st.cachedAt = now;
        this.stats.stored++;
      }
      this.stats.published++;
    } catch (err) {
      this.opts.onError(err);
    } finally {
      st.busy = false;
    }
    const next = st.pending;
    st.pending = null;
    if (next) void this.send(room, tier, st, next, fence);
  }

  /** A notice from another node: fetch the newest frame unless a fetch is already under way. */
  notice(room: string, tier: string): void {
    const id = `${room}\n${tier}`;
    let st = this.in.get(id);
    if (!st) {
      st = { fetching: false, again: false, relayedAt: 0, seq: -1 };
      this.in.set(id, st);
    }
    if (st.fetching) {
      st.again = true;
      return;
    }
    void this.fetch(room, tier, st);
  }

  private async fetch(room: string, tier: string, st: Incoming): Promise<void> {
    st.fetching = true;
    try {
      const frame = await this.fetchLatest(room, tier);
      if (frame && frame.length > RELAYED_AT_OFFSET + 8) {
        const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
        const relayedAt = view.getFloat64(RELAYED_AT_OFFSET, true);
        const seq = view.getUint32(4, true);
        // The key may still hold a frame this node already delivered (or an older one).
        if (relayedAt > st.relayedAt || (relayedAt === st.relayedAt && seq !== st.seq)) {
          st.relayedAt = relayedAt;
          st.seq = seq;
          this.opts.deliver(room, tier, frame);
        }
      }
    } catch (err) {
      this.opts.onError(err);
    } finally {
      st.fetching = false;
    }
    if (st.again) {
      st.again = false;
      void this.fetch(room, tier, st);
    }
  }

  /** The cached frame of a tier, copied out of the client's buffers. */
  async fetchLatest(room: string, tier: string): Promise<Uint8Array | null> {
    const buf = await this.opts.cmd.getBuffer(this.opts.keys.frame(room, tier));
    if (!buf) return null;
    this.stats.fetched++;
    this.stats.fetchedBytes += buf.length;
    return new Uint8Array(buf);
  }

  /** Forgets a tier's state once nobody here consumes or publishes it. */
  drop(room: string, tier: string): void {
    const id = `${room}\n${tier}`;
    this.in.delete(id);
    this.out.delete(id);
  }
}
