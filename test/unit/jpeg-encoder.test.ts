import assert from 'node:assert/strict';
import { test } from 'vitest';
import sharp from 'sharp';
import { failureReason, sharpEncoder } from '../../src/media/jpeg-encoder.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { COMMENT_SEGMENT, SECRETS, XMP_SEGMENT, jpegMarkers, segment, withSegments } from '../helpers/jpeg-markers.js';
import { realJpeg } from '../helpers/media.js';

async function reasonFor(jpeg: Uint8Array): Promise<string> {
  try {
    await sharpEncoder(jpeg, { maxWidth: 640, quality: 60 });
    return 'encoded';
  } catch (err) {
    return failureReason(err);
  }
}

test('the encoder refuses corrupt, foreign and oversized input with a reason', async () => {
  assert.equal(await reasonFor(fakeJpeg(2000)), 'corrupt');
  assert.equal(await reasonFor(Buffer.from('not an image at all')), 'unsupported');
  // A picture whose header claims more than 4096×4096 pixels is not decoded at all.
  const huge = await sharp({ create: { width: 4200, height: 4100, channels: 3, background: '#123456' } })
    .jpeg({ quality: 10 })
    .toBuffer();
  assert.equal(await reasonFor(huge), 'too_large');
});

test('a recompressed tier carries no metadata even when its input does (EXIF, XMP, comments, ICC)', async () => {
  const exif = await realJpeg(320, 240, 1, { exif: true });
  const icc = segment(0xe2, 'ICC_PROFILE\0\x01\x01SecretCam profile');
  const input = withSegments(exif, XMP_SEGMENT, COMMENT_SEGMENT, icc);
  assert.ok(input.includes('SecretCam') && input.includes('xmpmeta') && input.includes('a comment'));
  for (const spec of [{ maxWidth: 160, quality: 50 }, { maxWidth: 640, quality: 85 }]) {
    const out = Buffer.from(await sharpEncoder(input, spec));
    for (const s of SECRETS) assert.ok(!out.includes(s), `no "${s}" at ${spec.maxWidth}`);
    const kinds = jpegMarkers(out).map((m) => m.marker);
    assert.ok(kinds.includes(0xda) && kinds.at(-1) === 0xd9, 'a whole picture');
    assert.deepEqual(kinds.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe), [], `no APP1-15 or COM at ${spec.maxWidth}`);
    const meta = await sharp(out).metadata();
    assert.equal(meta.exif, undefined);
    assert.equal(meta.xmp, undefined);
    assert.equal(meta.icc, undefined);
    assert.equal(meta.comments, undefined);
  }
});
