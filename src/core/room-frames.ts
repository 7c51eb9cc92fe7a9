import { FRAME_HEADER_BYTES, readJpegSize, writeRelayedAt, type ImageSize, type TierInfo } from '../protocol/index.js';
import type { Broker } from './broker/broker.js';
import { EdgeTiers, fitsTier } from './edge-tiers.js';
import { FpsMeter } from './fps-meter.js';
import { FrameChannel } from './frame-channel.js';
import type { FrameSink } from './peer.js';
import type { RoomOptions } from './room-options.js';
import type { FrameTap } from './room-types.js';
import type { Room } from './room.js';
import { copyWithoutMetadata } from './strip-jpeg-metadata.js';
import type { TierOrigin } from './telemetry.js';

// A frame younger than this is current enough for a snapshot.
const FRESH_MS = 2000;

function relayedAtOf(frame: Uint8Array): number {
  return frame.length >= 24 ? new DataView(frame.buffer, frame.byteOffset, 24).getFloat64(16, true) : 0;
}

function seqOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES).getUint32(4, true);
}

/**
 * A room's pictures: one latest-frame-wins channel per tier, the source's size and rate, which
 * tiers someone in the cluster consumes, and who encodes each (the broadcaster or the server).
 * The room decides who is in it; this decides what reaches them. Tiers are made on first use, so
 * a room nobody has been live in costs one channel at most.
 */
export class RoomFrames {
  /** Tiers made so far (see `channel`). */
  readonly channels = new Map<string, FrameChannel>();
  private fpsMeter: FpsMeter | null = null;
  /** Tiers consumed on other nodes, while the broadcaster is here. */
  private remoteDemand: ReadonlySet<string> = new Set();
  /** Which tiers the broadcaster here encodes itself; made at its first `encoding`. */
  private edgeTiers: EdgeTiers | null = null;
  private disposed = false;
  width: number | null = null;
  height: number | null = null;
  accepted = 0;

  constructor(
    private readonly room: Room,
    private readonly opts: RoomOptions,
    private readonly broker: Broker,
    private readonly taps: readonly FrameTap[],
  ) {}

  get lastFrameAt(): number | null {
    return this.channels.get('source')?.lastFrameAt || null;
  }

  fps(now: number): number {
    return this.fpsMeter ? this.fpsMeter.fps(now) : 0;
  }

  /** The tier's channel, made on first use; undefined for a quality the server does not offer. */
  channel(quality: string): FrameChannel | undefined {
    let channel = this.channels.get(quality);
    if (!channel && this.opts.qualities.includes(quality)) {
      channel = new FrameChannel(quality, this.opts.videoMaxBuffered, this.opts.telemetry);
      this.channels.set(quality, channel);
    }
    return channel;
  }

  /** Whether anyone in the cluster consumes a tier: only then is it worth encoding. */
  tierWanted(quality: string): boolean {
    return (this.channels.get(quality)?.size ?? 0) > 0 || this.remoteDemand.has(quality);
  }

  /** The recompressed tiers someone consumes anywhere in the cluster, widest first: the broadcaster's `demand`. */
  demandedTiers(): TierInfo[] {
    return (this.opts.tiers ?? []).filter((t) => this.tierWanted(t.name)).sort((a, b) => b.maxWidth - a.maxWidth);
  }

  /** The broadcaster here encodes this tier itself now (so the server must not). */
  tierFromEdge(quality: string): boolean {
    return this.edgeTiers?.isEdge(quality) ?? false;
  }

  /** Who encodes a tier someone consumes, while the broadcaster is here; null otherwise. */
  tierOrigin(quality: string): TierOrigin | null {
    if (!this.room.broadcaster || quality === 'source' || !this.tierWanted(quality)) return null;
    return this.edgeTiers?.origin(quality) ?? 'server';
  }

  edgeAnnounced(quality: string): boolean {
    return this.edgeTiers?.isAnnounced(quality) ?? false;
  }

  /** The broadcaster's `encoding`: the tiers it encodes from now on; the server takes the others. */
  announceEdgeTiers(tiers: readonly string[], now: number): void {
    const { toEdge, toServer } = (this.edgeTiers ??= new EdgeTiers()).announce(tiers, now);
    for (const tier of toEdge) for (const tap of this.taps) tap.onTierOrigin?.(this.room, tier, 'edge');
    for (const tier of toServer) for (const tap of this.taps) tap.onTierOrigin?.(this.room, tier, 'server');
  }

  /** A broadcaster came or went: what the previous one encoded, the next has yet to announce. */
  forgetEdgeTiers(): void {
    this.edgeTiers = null;
  }

  /**
   * Accepts one validated source frame. `incoming` is only valid during this call (uWS frees it
   * when the handler returns), so it is copied exactly once; the copy is fanned out and cached.
   * Returns false, having relayed nothing, when the JPEG cannot be stripped of metadata safely:
   * the caller refuses it (FRAME_UNSAFE).
   */
  acceptFrame(incoming: Uint8Array, headerLen: number, now: number): boolean {
    // The one copy also drops EXIF/XMP/comments, so no frame leaves the server with metadata.
    const frame = copyWithoutMetadata(incoming, headerLen);
    if (frame === null) return false;
    writeRelayedAt(frame, now);
    this.countSourceFrame(now);
    let replaced = false;
    for (const tap of this.taps) if (tap.replacesSource?.(this.room, frame, headerLen)) replaced = true;
    if (!replaced) {
      if ((this.accepted & 15) === 1 || this.width === null) this.readSize(frame, headerLen);
      // The other nodes first: the frame leaves for the bus at once, so their fan-out runs
      // alongside this node's instead of after it (a cross-node viewer would otherwise wait
      // for every local send).
      this.broker.publishFrame(this.room.name, 'source', frame);
      const t0 = performance.now();
      this.channel('source')!.publish(frame, now);
      this.opts.telemetry.frameRelayed((performance.now() - t0) / 1000);
    }
    this.edgeTiers?.onSourceFrame(now);
    for (const tap of this.taps) tap.onSourceFrame(this.room, frame, headerLen);
    return true;
  }

  /**
   * Accepts one tier frame the broadcaster encoded, of an announced tier (the session checked the
   * tag, the tier and its rate). Never decoded: its size is read from the JPEG's SOF. The one copy
   * strips metadata and gives it the plain 24-byte header, so it travels like a frame the server
   * made. `incoming` is only valid during this call.
   */
  acceptTierFrame(quality: string, incoming: Uint8Array, headerLen: number, now: number): 'ok' | 'size' | 'unsafe' {
    const edge = this.edgeTiers;
    const spec = this.opts.tiers?.find((t) => t.name === quality);
    if (!edge || !spec) return 'size';
    const size = readJpegSize(incoming, headerLen);
    // The source size is read every few frames; a camera that just changed shape gets a fresh read.
    if (!fitsTier(size, spec, this.sourceSize()) && !fitsTier(size, spec, this.sourceSize(true))) return 'size';
    const frame = copyWithoutMetadata(incoming, headerLen, FRAME_HEADER_BYTES);
    if (frame === null) return 'unsafe';
    frame[1] = 0;
    frame[2] = FRAME_HEADER_BYTES;
    frame[3] = 0;
    writeRelayedAt(frame, now);
    const result = edge.edgeFrame(quality, seqOf(frame), now)!;
    if (result.becameEdge) for (const tap of this.taps) tap.onTierOrigin?.(this.room, quality, 'edge');
    if (result.publish) {
      // The other nodes first, as for source frames.
      this.broker.publishFrame(this.room.name, quality, frame);
      this.channel(quality)?.publish(frame, now);
      this.opts.telemetry.tierFramePublished(quality, 'edge');
    }
    return 'ok';
  }

  /** Delivers a frame of another tier (e.g. recompressed here); `frame` becomes that tier's cache. */
  publishTier(quality: string, frame: Uint8Array, now: number): void {
    // A replaced source (see FrameTap.replacesSource) defines the size viewers of `source` see.
    if (quality === 'source') this.readSize(frame, frame[2]! | (frame[3]! << 8));
    else {
      // After a switch from the edge, a picture it already sent does not go out twice.
      if (this.edgeTiers && !this.edgeTiers.serverFrame(quality, seqOf(frame))) return;
      this.opts.telemetry.tierFramePublished(quality, 'server');
    }
    // The other nodes first, as for source frames.
    if (this.room.broadcaster) this.broker.publishFrame(this.room.name, quality, frame);
    this.channel(quality)?.publish(frame, now);
  }

  /** A frame from the broadcaster's node, for a tier consumed here. */
  remoteFrame(quality: string, frame: Uint8Array, now: number): void {
    if (this.room.broadcaster) return;
    if (quality === 'source') {
      this.countSourceFrame(now);
      if ((this.accepted & 15) === 1 || this.width === null) this.readSize(frame, frame[2]! | (frame[3]! << 8));
    }
    this.channel(quality)?.publish(frame, now);
  }

  /**
   * The newest frame of a tier of a room broadcast from another node (a snapshot): the one
   * here if it is current, else the cluster's copy if it is, else the next frame to arrive while
   * this asks for the tier as a consumer (null after `timeoutMs`: the broadcaster sends none).
   */
  async frameFromCluster(quality: string, timeoutMs: number): Promise<Uint8Array | null> {
    const channel = this.channel(quality);
    if (!channel) return null;
    const now = Date.now();
    if (channel.size > 0 && channel.lastFrame && now - channel.lastFrameAt < FRESH_MS) return channel.lastFrame;
    const cached = await this.broker.lastFrame(this.room.name, quality);
    if (cached && Date.now() - relayedAtOf(cached) < FRESH_MS) return cached;
    return new Promise((resolve) => {
      let done = false;
      const finish = (frame: Uint8Array | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.removeSink(quality, sink);
        resolve(frame ?? cached);
      };
      const sink: FrameSink = { bufferedAmount: () => 0, sendFrame: (f) => finish(f) };
      const timer = setTimeout(() => finish(null), timeoutMs);
      this.addSink(quality, sink);
    });
  }

  /** Tiers consumed on other nodes changed (this node broadcasts the room). */
  setRemoteDemand(tiers: ReadonlySet<string>): void {
    const before = this.remoteDemand;
    this.remoteDemand = tiers;
    for (const tier of tiers) if (!before.has(tier)) for (const tap of this.taps) tap.onTierDemand?.(this.room, tier);
    this.room.broadcaster?.onDemandChanged?.();
  }

  /** A consumer of a tier: the first one here makes the cluster send that tier to this node. */
  addSink(quality: string, sink: FrameSink, switching = false): void {
    const channel = this.channel(quality);
    if (!channel) return;
    channel.add(sink, switching);
    if (channel.size === 1) {
      this.broker.consume(this.room.name, quality, true);
      this.room.broadcaster?.onDemandChanged?.();
      // A late joiner on a node that has no frame of this tier yet: the cluster's last one.
      if (!channel.lastFrame && !this.room.broadcaster && this.broker.clustered) void this.fetchLastFrame(quality, channel);
    }
    for (const tap of this.taps) tap.onTierDemand?.(this.room, quality);
  }

  removeSink(quality: string, sink: FrameSink): void {
    const channel = this.channels.get(quality);
    if (!channel) return;
    channel.delete(sink);
    if (channel.size > 0) return;
    this.broker.consume(this.room.name, quality, false);
    this.room.broadcaster?.onDemandChanged?.();
    // Frames stop coming from the other nodes: let no later joiner start on a stale picture.
    if (!this.room.broadcaster && this.broker.clustered) channel.clear();
  }

  dispose(): void {
    this.disposed = true;
    for (const ch of this.channels.values()) ch.clear();
  }

  private countSourceFrame(now: number): void {
    this.accepted++;
    (this.fpsMeter ??= new FpsMeter()).tick(now);
  }

  private async fetchLastFrame(quality: string, channel: FrameChannel): Promise<void> {
    const frame = await this.broker.lastFrame(this.room.name, quality);
    if (frame && !channel.lastFrame && !this.disposed) this.remoteFrame(quality, frame, Date.now());
  }

  /** The source picture's size as last read; `fresh`: read from the newest source frame now. */
  private sourceSize(fresh = false): ImageSize | null {
    const last = this.channels.get('source')?.lastFrame;
    if (fresh && last) this.readSize(last, last[2]! | (last[3]! << 8));
    return this.width !== null && this.height !== null ? { width: this.width, height: this.height } : null;
  }

  private readSize(frame: Uint8Array, headerLen: number): void {
    const size = readJpegSize(frame, headerLen);
    if (size) {
      this.width = size.width;
      this.height = size.height;
    }
  }
}
