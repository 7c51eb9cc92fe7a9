import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import sharp from 'sharp';
import { copyWithoutMetadata } from '../../src/core/strip-jpeg-metadata.js';
import { encodeFrame } from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { hasSegment, jpegInfo, realJpeg } from '../helpers/media.js';

function segment(marker: number, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload);
  const head = Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255]);
  return Buffer.concat([head, body]);
}

/** Inserts segments right after SOI. */
function withSegments(jpeg: Uint8Array, ...segs: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(jpeg.subarray(0, 2)), ...segs, Buffer.from(jpeg.subarray(2))]);
}

describe('copyWithoutMetadata', () => {
  it('removes EXIF (camera, GPS) from a real JPEG and leaves a decodable picture', async () => {
    const jpeg = await realJpeg(320, 240, 1, { exif: true });
    assert.ok(hasSegment(jpeg, 0xe1, 'Exif'), 'the input has EXIF');
    assert.ok(jpeg.includes('SecretCam'));
    const frame = encodeFrame(jpeg, 7, 123);
    const out = copyWithoutMetadata(frame, 24);
    assert.notEqual(out.buffer, frame.buffer, 'a copy');
    assert.deepEqual(out.subarray(0, 24), frame.subarray(0, 24), 'header unchanged');
    const body = Buffer.from(out.subarray(24));
    assert.ok(!hasSegment(body, 0xe1, 'Exif'));
    assert.ok(!body.includes('SecretCam'));
    const info = await jpegInfo(body);
    assert.deepEqual(info, { width: 320, height: 240, hasExif: false });
    const a = await sharp(jpeg).raw().toBuffer();
    const b = await sharp(body).raw().toBuffer();
    assert.ok(a.equals(b), 'same pixels');
  });

  it('drops XMP, comments and other APPn, keeps JFIF, ICC profile and Adobe', async () => {
    const jpeg = await realJpeg(64, 48);
    const input = withSegments(
      jpeg,
      segment(0xe0, 'JFIF\0\x01\x01\0\0\x01\0\x01\0\0'),
      segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS here</x:xmpmeta>'),
      segment(0xfe, 'a comment with a name'),
      segment(0xe2, 'ICC_PROFILE\0\x01\x01profile-bytes'),
      segment(0xe2, 'MPF\0multi-picture'),
      segment(0xed, 'Photoshop 3.0\0IPTC'),
      segment(0xee, 'Adobe\0\x64\0\0\0\0\x01'),
    );
    const out = Buffer.from(copyWithoutMetadata(input, 0));
    assert.ok(hasSegment(out, 0xe0, 'JFIF'));
    assert.ok(hasSegment(out, 0xe2, 'ICC_PROFILE'));
    assert.ok(hasSegment(out, 0xee, 'Adobe'));
    for (const gone of ['xmpmeta', 'a comment', 'MPF', 'Photoshop']) assert.ok(!out.includes(gone), gone);
    assert.equal(out[out.length - 1], 0xd9);
    await sharp(out).metadata();
  });

  it('copies unchanged what it cannot walk, and what has no metadata', async () => {
    const fake = encodeFrame(fakeJpeg(500), 1, 1);
    const out = copyWithoutMetadata(fake, 24);
    assert.deepEqual(out, fake);
    assert.notEqual(out.buffer, fake.buffer);
    const clean = await realJpeg(32, 32);
    assert.deepEqual(Buffer.from(copyWithoutMetadata(clean, 0)), clean);
    // A length running past the end: no SOS reached, nothing removed.
    const broken = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 0x45, 0x78, 0xff, 0xd9]);
    assert.deepEqual(Buffer.from(copyWithoutMetadata(broken, 0)), broken);
  });
});
