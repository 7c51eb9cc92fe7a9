// Splits a byte stream of JPEGs (ffmpeg `-f mjpeg`: concatenated; `-f mpjpeg`: multipart with
// boundaries and part headers) into whole JPEGs. It walks the marker structure instead of looking
// for FF D9: an EXIF thumbnail inside APP1 has its own FF D8 ... FF D9, which segment lengths skip,
// and in the entropy-coded data an FF is always followed by 00 or a restart marker.

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

type State =
  | 'seek' // between pictures: skipping anything that is not FF D8
  | 'marker' // expecting FF xx
  | 'length' // reading a segment's two length bytes
  | 'skip' // skipping a segment's payload
  | 'scan'; // entropy-coded data after SOS, until a marker that is not RSTn

export interface SplitterStats {
  frames: number;
  /** Pictures abandoned: broken structure, over the size limit, or cut off at the end. */
  discarded: number;
}

export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  /** Offset in `buf` of the current picture's FF D8, or -1 while seeking. */
  private start = -1;
  private pos = 0;
  private state: State = 'seek';
  private remaining = 0;
  private marker = 0;
  readonly stats: SplitterStats = { frames: 0, discarded: 0 };

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** Bytes held between pushes: the unfinished picture, or one byte while seeking. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns the pictures they completed, each a copy it owns. */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    this.parse(out);
    if (this.start >= 0 && this.buf.length - this.start > this.maxBytes) this.abandon();
    // Keep only the unfinished picture (or the last byte while seeking: it may be the FF of FF D8).
    const keepFrom = this.start >= 0 ? this.start : Math.max(0, Math.min(this.pos, this.buf.length - 1));
    if (keepFrom > 0) {
      this.buf = this.buf.subarray(keepFrom);
      this.pos -= keepFrom;
      if (this.start >= 0) this.start = 0;
    }
    return out;
  }

  /** End of input: an unfinished picture is discarded. */
  end(): void {
    if (this.start >= 0) this.stats.discarded++;
    this.buf = Buffer.alloc(0);
    this.start = -1;
    this.pos = 0;
    this.state = 'seek';
  }

  /**
   * A picture over the size limit is dropped with everything walked so far, and seeking goes on
   * from there. Looking again from its SOI (as for a broken picture) would keep those bytes: input
   * made of nested SOIs would then grow the buffer by a chunk per push, without bound.
   */
  private abandon(): void {
    this.stats.discarded++;
    this.start = -1;
    this.state = 'seek';
  }

  private resync(): void {
    this.stats.discarded++;
    // Look for the next picture after the broken one's SOI.
    this.pos = this.start + 2;
    this.start = -1;
    this.state = 'seek';
  }

  private parse(out: Buffer[]): void {
    const b = this.buf;
    const n = b.length;
    while (this.pos < n) {
      switch (this.state) {
        case 'seek': {
          const i = b.indexOf(0xff, this.pos);
          if (i < 0 || i + 1 >= n) {
            this.pos = i < 0 ? n : i;
            return;
          }
          if (b[i + 1] === SOI) {
            this.start = i;
            this.pos = i + 2;
            this.state = 'marker';
          } else {
            this.pos = i + 1;
          }
          break;
        }
        case 'marker': {
          if (this.pos + 1 >= n) return;
          if (b[this.pos] !== 0xff) {
            this.resync();
            break;
          }
          const m = b[this.pos + 1]!;
          if (m === 0xff) {
            this.pos++; // fill byte
            break;
          }
          this.pos += 2;
          if (m === EOI) {
            this.emit(out);
          } else if (m === SOI || m === 0x00) {
            this.pos -= 2;
            this.resync();
          } else if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
            // no payload
          } else {
            this.marker = m;
            this.state = 'length';
          }
          break;
        }
        case 'length': {
          if (this.pos + 1 >= n) return;
          const len = (b[this.pos]! << 8) | b[this.pos + 1]!;
          if (len < 2) {
            this.resync();
            break;
          }
          this.remaining = len;
          this.state = 'skip';
          break;
        }
        case 'skip': {
          const take = Math.min(this.remaining, n - this.pos);
          this.pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = this.marker === SOS ? 'scan' : 'marker';
          break;
        }
        case 'scan': {
          const i = b.indexOf(0xff, this.pos);
          if (i < 0 || i + 1 >= n) {
            this.pos = i < 0 ? n : i;
            return;
          }
          const m = b[i + 1]!;
          if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) {
            // Stuffed byte, fill byte or restart marker: still scan data.
            this.pos = m === 0xff ? i + 1 : i + 2;
          } else {
            // A real marker: EOI, or DHT/SOS/... between the scans of a progressive picture.
            this.pos = i;
            this.state = 'marker';
          }
          break;
        }
      }
    }
  }

  private emit(out: Buffer[]): void {
    out.push(Buffer.from(this.buf.subarray(this.start, this.pos)));
    this.stats.frames++;
    this.start = -1;
    this.state = 'seek';
  }
}
