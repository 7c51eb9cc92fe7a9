import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import sharp from 'sharp';
import { MAX_JPEG_MARKERS, copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { COMMENT_SEGMENT, EXIF_SEGMENT, SECRETS, XMP_SEGMENT, beforeScan, jpegMarkers, segment, withSegments } from '../helpers/jpeg-markers.js';
import { hasSegment, jpegInfo, realJpeg } from '../helpers/media.js';

const JFIF = segment(0xe0, 'JFIF\0\x01\x01\0\0\x01\0\x01\0\0');
const ICC = segment(0xe2, 'ICC_PROFILE\0\x01\x01profile-bytes');
const ADOBE = segment(0xee, 'Adobe\0\x64\0\0\0\0\x01');

function strip(jpeg: Uint8Array): Buffer {
  const out = copyWithoutMetadata(jpeg, 0);
  assert.ok(out, 'stripped, not refused');
  return Buffer.from(out);
}

function assertClean(out: Uint8Array): void {
  const body = Buffer.from(out);
  for (const s of SECRETS) assert.ok(!body.includes(s), `no "${s}"`);
  for (const m of jpegMarkers(body)) {
    assert.ok(m.marker !== 0xfe && m.marker !== 0xe1, `no ${m.marker.toString(16)} segment at ${m.at}`);
  }
}

async function samePixels(a: Uint8Array, b: Uint8Array): Promise<void> {
  const [pa, pb] = await Promise.all([sharp(a).raw().toBuffer(), sharp(b).raw().toBuffer()]);
  assert.ok(pa.equals(pb), 'same pixels');
}

describe('copyWithoutMetadata', () => {
  it('removes EXIF (camera, GPS) from a real JPEG and leaves the same picture', async () => {
    const jpeg = await realJpeg(320, 240, 1, { exif: true });
    assert.ok(hasSegment(jpeg, 0xe1, 'Exif'), 'the input has EXIF');
    assert.ok(jpeg.includes('SecretCam'));
    const frame = encodeFrame(jpeg, 7, 123);
    const out = copyWithoutMetadata(frame, 24);
    assert.ok(out);
    assert.notEqual(out.buffer, frame.buffer, 'a copy');
    assert.deepEqual(out.subarray(0, 24), frame.subarray(0, 24), 'header unchanged');
    const body = Buffer.from(out.subarray(24));
    assert.ok(!hasSegment(body, 0xe1, 'Exif'));
    assert.ok(!body.includes('SecretCam'));
    assert.deepEqual(await jpegInfo(body), { width: 320, height: 240, hasExif: false });
    await samePixels(jpeg, body);
  });

  it('drops XMP, comments and other APPn, keeps a bare JFIF header, ICC profile and Adobe transform', async () => {
    const jpeg = await realJpeg(64, 48);
    const input = withSegments(jpeg, JFIF, XMP_SEGMENT, COMMENT_SEGMENT, ICC, segment(0xe2, 'MPF\0multi-picture'), segment(0xed, 'Photoshop 3.0\0IPTC'), ADOBE);
    const out = strip(input);
    assert.ok(hasSegment(out, 0xe0, 'JFIF'));
    assert.ok(hasSegment(out, 0xe2, 'ICC_PROFILE'));
    assert.ok(hasSegment(out, 0xee, 'Adobe'));
    for (const gone of ['xmpmeta', 'a comment', 'MPF', 'Photoshop']) assert.ok(!out.includes(gone), gone);
    assert.equal(out[out.length - 1], 0xd9);
    await sharp(out).metadata();
  });

  it('drops thumbnails and extra bytes hidden in kept segment kinds: JFIF thumbnail, JFXX, long Adobe', async () => {
    const jpeg = await realJpeg(64, 48);
    const thumb = segment(0xe0, Buffer.concat([Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\x02\x01', 'latin1'), Buffer.from('SecretCam!')]));
    const jfxx = segment(0xe0, 'JFXX\0\x10SecretCam thumbnail');
    const longAdobe = segment(0xee, 'Adobe\0\x64\0\0\0\0\x01SecretCam');
    const out = strip(withSegments(jpeg, thumb, jfxx, longAdobe));
    assertClean(out);
    assert.ok(out.equals(jpeg), 'exactly the picture without them');
  });

  it('removes metadata placed between the scans of a progressive JPEG', async () => {
    const jpeg = await realJpeg(96, 64, 3, { progressive: true });
    const scans = jpegMarkers(jpeg).filter((m) => m.marker === 0xda).length;
    assert.ok(scans >= 3, `progressive: ${scans} scans`);
    const input = beforeScan(beforeScan(jpeg, 1, EXIF_SEGMENT, COMMENT_SEGMENT), scans - 1, XMP_SEGMENT);
    assert.ok(input.includes('SecretCam') && input.includes('xmpmeta'));
    const out = strip(input);
    assertClean(out);
    assert.ok(out.equals(jpeg));
    await samePixels(jpeg, out);
  });

  it('ends the copy at the first EOI: a second picture or a video after it is cut off', async () => {
    const jpeg = await realJpeg(64, 48, 1);
    const trailer = await realJpeg(32, 32, 2, { exif: true });
    const frame = encodeFrame(Buffer.concat([jpeg, Buffer.from('motion photo: SecretCam'), trailer]), 1, 1);
    const out = copyWithoutMetadata(frame, 24);
    assert.ok(out);
    assert.ok(Buffer.from(out.subarray(24)).equals(jpeg));
  });

  it('has no segment-count bypass: EXIF after hundreds of segments is removed, or the frame refused', async () => {
    const jpeg = await realJpeg(64, 48);
    const comments = (k: number) => Array.from({ length: k }, (_, i) => segment(0xfe, `c${i}`));
    const many = strip(withSegments(jpeg, ...comments(MAX_JPEG_MARKERS - 20), EXIF_SEGMENT));
    assertClean(many);
    assert.ok(many.equals(jpeg));
    // Past the limit the walk stops: the frame is refused, not copied as sent.
    const tables = jpegMarkers(jpeg).find((m) => m.marker === 0xdb)!;
    const dqt = Buffer.from(jpeg.subarray(tables.at, tables.at + 2 + tables.length));
    for (const filler of [comments(600), Array<Buffer>(600).fill(dqt), [Buffer.alloc(600, 0xff)]]) {
      assert.equal(copyWithoutMetadata(encodeFrame(withSegments(jpeg, ...filler, EXIF_SEGMENT), 1, 1), 24), null);
    }
  });

  it('refuses what it cannot walk to the first EOI', async () => {
    const jpeg = await realJpeg(32, 32);
    const sos = jpegMarkers(jpeg).find((m) => m.marker === 0xda)!.at;
    const cases: [string, Uint8Array][] = [
      ['a segment length past the end', Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 0x45, 0x78, 0xff, 0xd9])],
      ['a segment cut inside its length', Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xd9])],
      ['a length below 2', withSegments(jpeg, Buffer.from([0xff, 0xfe, 0x00, 0x01]))],
      ['bytes that are not a marker between segments', withSegments(jpeg, Buffer.from('junk'))],
      ['no scan before EOI', Buffer.concat([jpeg.subarray(0, sos), Buffer.from([0xff, 0xd9])])],
      ['EXIF running over the final EOI', Buffer.concat([jpeg.subarray(0, 2), segment(0xe1, jpeg.subarray(2))])],
      ['a second SOI', withSegments(jpeg, Buffer.from([0xff, 0xd8]))],
      ['a reserved marker (JPG)', withSegments(jpeg, segment(0xc8, 'x'))],
      ['an extension marker (JPG0)', withSegments(jpeg, segment(0xf0, 'SecretCam'))],
      ['a reserved marker (RES)', withSegments(jpeg, segment(0x02, 'SecretCam'))],
      ['FF 00 outside a scan', withSegments(jpeg, Buffer.from([0xff, 0x00]))],
      ['scan data running to the end', Buffer.concat([jpeg.subarray(0, -2), Buffer.from([0x12, 0xd9])])],
    ];
    for (const [what, bytes] of cases) assert.equal(copyWithoutMetadata(bytes, 0), null, what);
  });

  it('copies unchanged a JPEG without metadata, fill bytes and restart markers included', async () => {
    const fake = encodeFrame(fakeJpeg(500), 1, 1);
    const out = copyWithoutMetadata(fake, 24);
    assert.deepEqual(out, fake);
    assert.notEqual(out!.buffer, fake.buffer);
    const clean = await realJpeg(32, 32);
    assert.ok(strip(clean).equals(clean));
    // Scan data with a restart marker, a stuffed FF and fill bytes before EOI.
    const scan = Buffer.from(fakeJpeg(200));
    scan.set([0xff, 0xd3], 100);
    scan.set([0xff, 0x00], 120);
    const withFill = Buffer.concat([scan.subarray(0, -2), Buffer.from([0xff, 0xff, 0xff, 0xd9])]);
    for (const j of [scan, withFill]) assert.ok(strip(j).equals(j));
    const filled = withSegments(clean, Buffer.from([0xff, 0xff, 0xff]));
    assert.ok(strip(filled).equals(filled));
  });
});
