import type { TierSpec } from '../config/quality-tiers.js';
import type { Log } from '../core/log.js';
import type { FrameTap, Room } from '../core/room.js';
import type { Telemetry, TierOrigin } from '../core/telemetry.js';
import { readJpegSize } from '../protocol/index.js';
import type { JpegEncoder, ResizeSpec } from './jpeg-encoder.js';
import { LatestWinsEncoder } from './latest-wins-encoder.js';

export interface MediaPipelineOptions {
  tiers: readonly TierSpec[];
  /** 0: source frames are relayed as sent; otherwise wider ones are downscaled first. */
  sourceMaxWidth: number;
  encode: JpegEncoder;
  telemetry: Telemetry;
  log: Log;
}

// How long a snapshot of a room broadcast from another node waits for a tier nobody watched.
const REMOTE_FRAME_WAIT_MS = 2000;

// Quality of a downscaled source frame: it is the best copy anyone gets, so it stays high.
const SOURCE_CAP_QUALITY = 85;
// A tier frame younger than this is current enough for a snapshot.
const FRESH_MS = 2000;

const seqOf = (frame: Uint8Array) => new DataView(frame.buffer, frame.byteOffset, 8).getUint32(4, true);

interface Latest {
  frame: Uint8Array;
  headerLen: number;
}

/**
 * Produces the recompressed tiers of every room from its source frames. Work is per room and
 * tier, never per viewer: a tier is encoded only while it has a consumer (WebSocket viewer, MJPEG
 * client, or a snapshot request waiting), once per frame, latest-wins (see LatestWinsEncoder).
 *
 * Watched tiers form a cascade, widest first: only the widest decodes the source frame, each
 * narrower one decodes the output of the tier above it (a 640 px JPEG instead of 1280 px), which
 * costs a fraction of a second full decode.
 *
 * A tier the broadcaster encodes itself (Room.tierFromEdge) is left out: the server is its
 * fallback, and takes it back at once when the broadcaster stops sending it. Never both at once:
 * an encode under way when the edge takes over is discarded, and nothing this pipeline makes is
 * published on a tier while it is the edge's.
 */
export class MediaPipeline implements FrameTap {
  readonly qualities: readonly string[];
  private readonly specs = new Map<string, ResizeSpec>();
  /** Recompressed tiers, widest first. */
  private readonly cascade: readonly TierSpec[];
  private readonly encoders = new WeakMap<Room, Map<string, LatestWinsEncoder>>();
  /** Newest accepted source frame of each room, as sent (before any width cap). */
  private readonly latest = new WeakMap<Room, Latest>();

  constructor(private readonly opts: MediaPipelineOptions) {
    this.cascade = [...opts.tiers].sort((a, b) => b.maxWidth - a.maxWidth);
    // Best first: clients stepping down (auto quality) walk the list in order.
    this.qualities = ['source', ...this.cascade.map((t) => t.name)];
    for (const t of opts.tiers) this.specs.set(t.name, { maxWidth: t.maxWidth, quality: t.quality });
    if (opts.sourceMaxWidth > 0) this.specs.set('source', { maxWidth: opts.sourceMaxWidth, quality: SOURCE_CAP_QUALITY });
  }

  replacesSource(room: Room, frame: Uint8Array, headerLen: number): boolean {
    const cap = this.opts.sourceMaxWidth;
    if (cap <= 0) return false;
    const size = readJpegSize(frame, headerLen);
    const encoder = this.encoder(room, 'source');
    if (!size || size.width <= cap) {
      // This frame goes out as sent; an older downscaled one must not follow it.
      encoder.supersede();
      return false;
    }
    // The source tier is the room's canonical picture (late joiners, room list), so it is kept
    // current even with nobody watching it.
    encoder.submit(frame, headerLen);
    return true;
  }

  onSourceFrame(room: Room, frame: Uint8Array, headerLen: number): void {
    // Updated in place: the frame path allocates nothing but the frame itself.
    const latest = this.latest.get(room);
    if (latest) {
      latest.frame = frame;
      latest.headerLen = headerLen;
    } else {
      this.latest.set(room, { frame, headerLen });
    }
    let fed = false;
    for (const tier of this.cascade) {
      const channel = room.channel(tier.name);
      if (!channel) continue;
      if (room.tierWanted(tier.name)) {
        // The broadcaster's frames keep this tier current.
        if (room.tierFromEdge(tier.name)) continue;
        // The widest watched tier starts from the source; the rest follow from its output.
        if (!fed) this.encoder(room, tier.name).submit(frame, headerLen);
        fed = true;
      } else if (channel.lastFrame) {
        // Nobody watches: stop encoding, and let no one join to a picture that is going stale.
        // A consumer that joins later triggers an encode of the newest source frame (onTierDemand).
        channel.clear();
      }
    }
  }

  /** A tier's output goes on to the next narrower watched tier, standing for the same source frame. */
  private cascadeFrom(room: Room, quality: string, out: Uint8Array, origin: Uint8Array): void {
    const i = this.cascade.findIndex((t) => t.name === quality);
    if (i < 0) return;
    for (const tier of this.cascade.slice(i + 1)) {
      if (room.tierWanted(tier.name) && !room.tierFromEdge(tier.name)) {
        this.encoder(room, tier.name).submit(out, out[2]! | (out[3]! << 8), origin);
        return;
      }
    }
  }

  onTierDemand(room: Room, quality: string): void {
    if (quality === 'source' || !this.specs.has(quality) || room.tierFromEdge(quality)) return;
    const latest = this.latest.get(room);
    if (latest) this.encoder(room, quality).submit(latest.frame, latest.headerLen);
  }

  onTierOrigin(room: Room, quality: string, origin: TierOrigin): void {
    if (origin === 'edge') return this.encoders.get(room)?.get(quality)?.supersede();
    // Taken back: consumers get the newest source frame's picture now, not at the next frame,
    // unless the edge already sent that one.
    const latest = this.latest.get(room);
    const last = room.channel(quality)?.lastFrame;
    if (!room.tierWanted(quality) || (latest && last && seqOf(last) === seqOf(latest.frame))) return;
    this.onTierDemand(room, quality);
  }

  /**
   * The newest frame of a tier for a one-off request (snapshot): cached when it is current,
   * otherwise encoded now from the newest source frame. Null when the room has no frame.
   */
  async currentFrame(room: Room, quality: string): Promise<Uint8Array | null> {
    const channel = room.channel(quality);
    if (!channel) return null;
    // Broadcast from another node: its node makes the tiers; this one asks the cluster.
    if (room.live && !room.broadcaster) return room.frameFromCluster(quality, REMOTE_FRAME_WAIT_MS);
    if (room.tierFromEdge(quality) && channel.lastFrame && Date.now() - channel.lastFrameAt < FRESH_MS) return channel.lastFrame;
    const latest = this.latest.get(room);
    if (quality === 'source' || !latest) return channel.lastFrame;
    const encoder = this.encoder(room, quality);
    if (encoder.lastSource === latest.frame) return encoder.lastOutput;
    const out = await encoder.request(latest.frame, latest.headerLen);
    // A corrupt newest frame: the tier's last good picture is still the best answer.
    return out ?? encoder.lastOutput;
  }

  /** The room is gone: its encoders stop, and their frames go with them. */
  onRoomDisposed(room: Room): void {
    for (const encoder of this.encoders.get(room)?.values() ?? []) encoder.dispose();
    this.encoders.delete(room);
    this.latest.delete(room);
  }

  /** Encoder counters of one room, for tests and benchmarks. */
  stats(room: Room): Record<string, { encodes: number; failures: number }> {
    const out: Record<string, { encodes: number; failures: number }> = {};
    for (const [q, e] of this.encoders.get(room) ?? []) out[q] = { encodes: e.encodes, failures: e.failures };
    return out;
  }

  private encoder(room: Room, quality: string): LatestWinsEncoder {
    let perRoom = this.encoders.get(room);
    if (!perRoom) {
      perRoom = new Map();
      this.encoders.set(room, perRoom);
    }
    let encoder = perRoom.get(quality);
    if (!encoder) {
      encoder = new LatestWinsEncoder({
        quality,
        spec: this.specs.get(quality)!,
        encode: this.opts.encode,
        publish: (frame, origin) => {
          // Made for a snapshot, or finished as the edge took over: the edge's frames go out.
          if (room.tierFromEdge(quality)) return;
          room.publishTier(quality, frame, Date.now());
          this.cascadeFrom(room, quality, frame, origin);
        },
        telemetry: this.opts.telemetry,
        log: this.opts.log.child({ room: room.name }),
      });
      perRoom.set(quality, encoder);
    }
    return encoder;
  }
}
