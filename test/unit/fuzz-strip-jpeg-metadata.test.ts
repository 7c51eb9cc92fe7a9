import assert from 'node:assert/strict';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, it } from 'vitest';
import { MAX_JPEG_MARKERS, copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import { atOffset, fuzz, fuzzAsync, mutated } from '../helpers/fuzz.js';
import { beforeScan, jpegMarkers, segment, withSegments } from '../helpers/jpeg-markers.js';
import { realJpeg } from '../helpers/media.js';

// A model of a JPEG as a list of parts, each knowing its bytes and whether the stripper keeps it;
// generated pictures are built from it, and the model says exactly what the copy must be.
type Part =
  | { kind: 'segment'; bytes: Uint8Array; keep: boolean }
  | { kind: 'scan'; bytes: Uint8Array } // SOS segment and its entropy-coded data
  | { kind: 'fill'; bytes: Uint8Array } // FF fill bytes before a marker
  | { kind: 'standalone'; bytes: Uint8Array }; // TEM or RSTn outside a scan

const SECRET = 'SECRET';
const PICTURE_MARKERS = [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xdb, 0xdc, 0xdd, 0xde, 0xdf];
const APPN = Array.from({ length: 16 }, (_, k) => 0xe0 + k);

// Payloads of kept segments use bytes 0x80-0xff: never the ASCII secret.
const keptBytes = (maxLength: number) => fc.uint8Array({ min: 0x80, max: 0xff, maxLength });
const secretPayload = fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })).map(([a, b]) => Buffer.concat([a, Buffer.from(SECRET), b]));

const keptSegment: fc.Arbitrary<Part> = fc.oneof(
  fc.tuple(fc.constantFrom(...PICTURE_MARKERS), keptBytes(60)).map(([m, p]) => ({ kind: 'segment' as const, bytes: segment(m, p), keep: true })),
  keptBytes(9).map((p) => ({ kind: 'segment' as const, bytes: segment(0xe0, Buffer.concat([Buffer.from('JFIF\0'), Buffer.from(p), Buffer.alloc(9 - p.length)])), keep: true })),
  keptBytes(40).map((p) => ({ kind: 'segment' as const, bytes: segment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0'), p])), keep: true })),
  keptBytes(7).map((p) => ({ kind: 'segment' as const, bytes: segment(0xee, Buffer.concat([Buffer.from('Adobe'), Buffer.from(p), Buffer.alloc(7 - p.length)])), keep: true })),
);

const droppedSegment: fc.Arbitrary<Part> = fc.oneof(
  fc.tuple(fc.constantFrom(0xfe, ...APPN.filter((m) => m !== 0xe0 && m !== 0xe2 && m !== 0xee)), secretPayload).map(([m, p]) => ({ kind: 'segment' as const, bytes: segment(m, p), keep: false })),
  // Kept kinds with the wrong identifier or length: a JFIF thumbnail, JFXX, MPF, a long Adobe.
  secretPayload.map((p) => ({ kind: 'segment' as const, bytes: segment(0xe0, Buffer.concat([Buffer.from('JFIF\0\x01\x02\0\0\x01\0\x01\x01\x01'), p])), keep: false })),
  secretPayload.map((p) => ({ kind: 'segment' as const, bytes: segment(0xe0, Buffer.concat([Buffer.from('JFXX\0'), p])), keep: false })),
  secretPayload.map((p) => ({ kind: 'segment' as const, bytes: segment(0xe2, Buffer.concat([Buffer.from('MPF\0'), p])), keep: false })),
  secretPayload.map((p) => ({ kind: 'segment' as const, bytes: segment(0xee, Buffer.concat([Buffer.from('Adobe\0\0\0\0\0\0\0'), p])), keep: false })),
);

// Entropy-coded data: any byte but FF, stuffed FF 00, and restart markers.
const scanData = fc
  .array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 0xfe }).map((b) => [b]) }, fc.constant([0xff, 0x00]), fc.integer({ min: 0xd0, max: 0xd7 }).map((m) => [0xff, m])), { maxLength: 80 })
  .map((tokens) => Uint8Array.from(tokens.flat()));
const scan: fc.Arbitrary<Part> = fc.tuple(keptBytes(12), scanData).map(([header, data]) => ({ kind: 'scan' as const, bytes: Buffer.concat([segment(0xda, header), data]) }));
const fill: fc.Arbitrary<Part> = fc.integer({ min: 1, max: 3 }).map((k) => ({ kind: 'fill' as const, bytes: new Uint8Array(k).fill(0xff) }));
const standalone: fc.Arbitrary<Part> = fc.constantFrom(0x01, 0xd0, 0xd5, 0xd7).map((m) => ({ kind: 'standalone' as const, bytes: Uint8Array.from([0xff, m]) }));
const between = fc.array(fc.oneof({ weight: 3, arbitrary: keptSegment }, { weight: 3, arbitrary: droppedSegment }, fill, standalone), { maxLength: 6 });

interface Model {
  parts: Part[];
  trailer: Uint8Array;
  /** Frame header bytes before the JPEG. */
  header: Uint8Array;
}

const model: fc.Arbitrary<Model> = fc
  .record({
    head: between,
    scans: fc.array(fc.tuple(between, scan), { minLength: 1, maxLength: 4 }),
    trailer: fc.oneof(fc.constant(new Uint8Array(0)), secretPayload, fc.uint8Array({ maxLength: 30 })),
    header: fc.uint8Array({ maxLength: 30 }),
    padding: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: MAX_JPEG_MARKERS - 40, max: MAX_JPEG_MARKERS + 10 })),
  })
  .map(({ head, scans, trailer, header, padding }) => {
    const pad: Part[] = Array.from({ length: padding }, () => ({ kind: 'segment', bytes: segment(0xfe, SECRET), keep: false }));
    return { parts: [...pad, ...head, ...scans.flatMap(([b, s]) => [...b, s])], trailer, header };
  });

const EOI = Uint8Array.from([0xff, 0xd9]);
const SOI = Uint8Array.from([0xff, 0xd8]);

function build(m: Model): Buffer {
  return Buffer.concat([m.header, SOI, ...m.parts.map((p) => p.bytes), EOI, m.trailer]);
}

/** What the stripper must return for a modelled picture: null past the marker limit, else the kept parts. */
function expected(m: Model): Buffer | null {
  let markers = 1; // EOI
  // Fill bytes and restart markers right after scan data belong to the scan: not counted.
  let afterScan = false;
  for (const p of m.parts) {
    const inScan: boolean = afterScan && (p.kind === 'fill' || (p.kind === 'standalone' && p.bytes[1] !== 0x01));
    if (!inScan) markers += p.kind === 'fill' ? p.bytes.length : 1;
    afterScan = p.kind === 'scan' || inScan;
  }
  if (markers > MAX_JPEG_MARKERS) return null;
  return Buffer.concat([m.header, SOI, ...m.parts.filter((p) => p.kind !== 'segment' || p.keep).map((p) => p.bytes), EOI]);
}

const KEPT_APP = new Set([0xe0, 0xe2, 0xee]);

/** What holds for any copy the stripper returns, whatever the input. */
function assertSafeCopy(input: Uint8Array, start: number, out: Uint8Array): void {
  assert.ok(out.length <= input.length);
  assert.ok(Buffer.from(out.subarray(0, start)).equals(input.subarray(0, start)), 'frame header unchanged');
  const jpeg = out.subarray(start);
  assert.deepEqual([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)], [0xff, 0xd8, 0xff, 0xd9]);
  const markers = jpegMarkers(jpeg);
  assert.equal(markers.at(-1)?.marker, 0xd9, 'the walk reaches EOI');
  assert.equal(markers.at(-1)?.at, jpeg.length - 2, 'and nothing follows it');
  assert.ok(markers.some((m) => m.marker === 0xda), 'at least one scan');
  for (const m of markers) {
    assert.notEqual(m.marker, 0xfe, 'no comment');
    if (m.marker >= 0xe0 && m.marker <= 0xef) {
      assert.ok(KEPT_APP.has(m.marker), `no APP${m.marker - 0xe0}`);
      const id = Buffer.from(jpeg.subarray(m.at + 4, m.at + 2 + m.length)).toString('latin1');
      if (m.marker === 0xe0) assert.ok(m.length === 16 && id.startsWith('JFIF\0'), 'a bare JFIF header');
      if (m.marker === 0xe2) assert.ok(id.startsWith('ICC_PROFILE\0'), 'an ICC profile');
      if (m.marker === 0xee) assert.ok(m.length === 14 && id.startsWith('Adobe'), 'an Adobe transform');
    }
  }
  const again = copyWithoutMetadata(out, start);
  assert.ok(again && Buffer.from(again).equals(Buffer.from(out)), 'stripping a stripped copy changes nothing');
}

describe('metadata stripper under generated input', () => {
  it('keeps exactly the picture segments of any well-formed JPEG, or refuses it past the marker limit', () => {
    fuzz(
      'strip modelled JPEGs',
      fc.property(model, fc.integer({ min: 0, max: 5 }), (m, offset) => {
        const input = build(m);
        const out = copyWithoutMetadata(atOffset(input, offset), m.header.length);
        const want = expected(m);
        if (want === null) return assert.equal(out, null);
        assert.ok(out, 'not refused');
        assert.ok(Buffer.from(out).equals(want), 'exactly the kept parts');
        assert.ok(!Buffer.from(out).includes(SECRET), 'no metadata');
        assertSafeCopy(input, m.header.length, out);
      }),
      8_000,
    );
  });

  it('either refuses a damaged JPEG or returns a copy with no metadata segment that ends at EOI', () => {
    const damaged = mutated(model.map((m) => build({ ...m, header: new Uint8Array(0) })));
    fuzz(
      'strip damaged JPEGs',
      fc.property(fc.oneof({ weight: 3, arbitrary: damaged }, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([SOI, b]))), (input) => {
        if (input[0] !== 0xff || input[1] !== 0xd8) return; // checkFrame refuses these first
        const out = copyWithoutMetadata(input, 0);
        if (out) assertSafeCopy(input, 0, out);
      }),
      10_000,
    );
  });

  describe('real pictures with metadata hidden anywhere', () => {
    const pictures: { jpeg: Buffer; pixels: Buffer; scans: number }[] = [];
    beforeAll(async () => {
      for (const [w, h, progressive] of [[48, 32, false], [64, 48, true], [33, 17, true]] as const) {
        const jpeg = await realJpeg(w, h, w, { progressive });
        pictures.push({ jpeg, pixels: await sharp(jpeg).raw().toBuffer(), scans: jpegMarkers(jpeg).filter((m) => m.marker === 0xda).length });
      }
    });

    it('strips them back to the original picture, which still decodes to the same pixels', async () => {
      const meta = fc.array(
        fc.tuple(fc.constantFrom(0xe1, 0xe3, 0xed, 0xef, 0xfe), secretPayload).map(([m, p]) => segment(m, p)),
        { minLength: 1, maxLength: 4 },
      );
      await fuzzAsync(
        'strip real JPEGs',
        fc.asyncProperty(fc.nat(), meta, fc.nat(), meta, fc.boolean(), async (which, head, at, inner, trailer) => {
          const p = pictures[which % pictures.length]!;
          let input = beforeScan(withSegments(p.jpeg, ...head), at % p.scans, ...inner);
          if (trailer) input = Buffer.concat([input, segment(0xe1, SECRET), p.jpeg]);
          const out = copyWithoutMetadata(input, 0);
          assert.ok(out && Buffer.from(out).equals(p.jpeg));
          assert.ok((await sharp(out).raw().toBuffer()).equals(p.pixels));
        }),
        150,
      );
    });
  });
});
