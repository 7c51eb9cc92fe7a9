import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import sharp from 'sharp';
import { JpegSplitter } from '../../src/ingest/jpeg-splitter.js';
import { realJpeg } from '../helpers/media.js';

function split(stream: Buffer, chunkSize: number): { frames: Buffer[]; splitter: JpegSplitter } {
  const splitter = new JpegSplitter();
  const frames: Buffer[] = [];
  for (let i = 0; i < stream.length; i += chunkSize) frames.push(...splitter.push(stream.subarray(i, i + chunkSize)));
  splitter.end();
  return { frames, splitter };
}

/** APP1 EXIF-like segment holding a whole JPEG (as cameras embed thumbnails). */
function withEmbeddedThumbnail(jpeg: Buffer, thumb: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), thumb]);
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);
}

describe('JpegSplitter', () => {
  it('splits concatenated JPEGs at any chunk boundary, ignoring FF D9 inside an embedded thumbnail', async () => {
    const thumb = await realJpeg(16, 16, 9);
    const pics = [await realJpeg(96, 64, 1), withEmbeddedThumbnail(await realJpeg(96, 64, 2), thumb), await realJpeg(96, 64, 3, { progressive: true })];
    const stream = Buffer.concat(pics);
    for (const chunk of [1, 7, 4096, stream.length]) {
      const { frames, splitter } = split(stream, chunk);
      assert.equal(frames.length, 3, `chunk ${chunk}`);
      frames.forEach((f, i) => assert.ok(f.equals(pics[i]!), `picture ${i} intact at chunk ${chunk}`));
      assert.equal(splitter.stats.discarded, 0);
    }
    for (const f of split(stream, 1000).frames) await sharp(f).metadata();
  });

  it('reads multipart (ffmpeg -f mpjpeg) and skips garbage and a cut-off last picture', async () => {
    const a = await realJpeg(64, 48, 1);
    const b = await realJpeg(64, 48, 2);
    const part = (j: Buffer) => Buffer.concat([Buffer.from(`--ffmpeg\r\nContent-type: image/jpeg\r\nContent-length: ${j.length}\r\n\r\n`), j, Buffer.from('\r\n')]);
    const stream = Buffer.concat([Buffer.from('junk\xff\x00\xffjunk'), part(a), part(b), a.subarray(0, a.length / 2)]);
    const { frames, splitter } = split(stream, 100);
    assert.equal(frames.length, 2);
    assert.ok(frames[0]!.equals(a) && frames[1]!.equals(b));
    assert.equal(splitter.stats.discarded, 1, 'the cut-off picture');
  });

  it('resynchronises after a broken picture', async () => {
    const good = await realJpeg(64, 48, 1);
    const broken = Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x56]);
    const { frames, splitter } = split(Buffer.concat([broken, good, broken, good]), 13);
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => f.equals(good)));
    assert.equal(splitter.stats.discarded, 2);
  });

  it('drops a picture over its size limit with all it walked, so nested SOIs cannot grow the buffer', async () => {
    const MAX = 1024;
    // FF D8, then COM segments whose payload is FF D8: each one a plausible picture start.
    const nested = Buffer.concat([Buffer.from([0xff, 0xd8]), ...Array.from({ length: 2000 }, () => Buffer.from([0xff, 0xfe, 0x00, 0x04, 0xff, 0xd8]))]);
    const good = await realJpeg(32, 32, 1);
    const stream = Buffer.concat([nested, good]);
    const splitter = new JpegSplitter(MAX);
    const frames: Buffer[] = [];
    let most = 0;
    for (let i = 0; i < stream.length; i += 100) {
      frames.push(...splitter.push(stream.subarray(i, i + 100)));
      most = Math.max(most, splitter.buffered);
    }
    assert.ok(most <= MAX, `held at most ${most} bytes`);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(good));
    assert.ok(splitter.stats.discarded >= nested.length / MAX - 1);
  });
});
