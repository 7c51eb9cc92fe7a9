import assert from 'node:assert/strict';
import { test } from 'vitest';
import sharp from 'sharp';
import { failureReason, sharpEncoder } from '../../src/media/jpeg-encoder.js';
import { fakeJpeg } from '../helpers/jpeg.js';

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
