import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import pino from 'pino';
import type { JpegEncoder } from '../../src/media/jpeg-encoder.js';
import { LatestWinsEncoder } from '../../src/media/latest-wins-encoder.js';
import { encodeFrame, readFrameHeader } from '../../src/protocol/index.js';
import { fakeJpeg } from '../helpers/jpeg.js';
import { countingTelemetry } from '../helpers/media.js';

/** An encoder whose calls finish only when the test says so; its output names the input frame. */
function manualEncoder() {
  const calls: { input: Uint8Array; done: (fail?: boolean) => void }[] = [];
  const encode: JpegEncoder = (input) =>
    new Promise((resolve, reject) => {
      calls.push({ input, done: (fail) => (fail ? reject(new Error('corrupt')) : resolve(Uint8Array.from([0xee, input[16]!]))) });
    });
  return { calls, encode };
}

function frame(seq: number): Uint8Array {
  const jpeg = fakeJpeg(100);
  jpeg[16] = seq; // identifies the frame through the encoder
  return encodeFrame(jpeg, seq, 1000 + seq, 2000 + seq);
}

const tick = () => new Promise((r) => setImmediate(r));

function setup() {
  const enc = manualEncoder();
  const telemetry = countingTelemetry();
  const published: Uint8Array[] = [];
  const encoder = new LatestWinsEncoder({
    quality: 'sd',
    spec: { maxWidth: 640, quality: 60 },
    encode: enc.encode,
    publish: (f) => published.push(f),
    telemetry,
    log: pino({ level: 'silent' }),
  });
  return { enc, telemetry, published, encoder };
}

describe('LatestWinsEncoder', () => {
  it('runs one encode at a time; newer frames replace the waiting one and count as encoder_busy', async () => {
    const { enc, telemetry, published, encoder } = setup();
    for (let seq = 1; seq <= 6; seq++) encoder.submit(frame(seq), 24);
    assert.equal(enc.calls.length, 1, 'one encode in flight');
    assert.equal(telemetry.skips.encoder_busy, 4, 'frames 2..5 were replaced while waiting');
    enc.calls[0]!.done();
    await tick();
    assert.equal(enc.calls.length, 2, 'the newest waiting frame starts next');
    assert.equal(enc.calls[1]!.input[16], 6);
    enc.calls[1]!.done();
    await tick();
    assert.equal(enc.calls.length, 2, 'nothing else queued');
    assert.deepEqual(
      published.map((f) => readFrameHeader(f).seq),
      [1, 6],
    );
    const h = readFrameHeader(published[1]!);
    assert.equal(h.capturedAt, 1006, 'source header kept');
    assert.equal(h.relayedAt, 2006, 'source relayedAt kept');
    assert.deepEqual([...published[1]!.subarray(24)], [0xee, 6]);
    assert.equal(telemetry.recompressed.sd, 2);
  });

  it('drops a frame that fails to encode, counts it, and goes on with the next', async () => {
    const { enc, telemetry, published, encoder } = setup();
    encoder.submit(frame(1), 24);
    encoder.submit(frame(2), 24);
    enc.calls[0]!.done(true);
    await tick();
    enc.calls[1]!.done();
    await tick();
    assert.equal(telemetry.failed.sd, 1);
    assert.deepEqual(
      published.map((f) => readFrameHeader(f).seq),
      [2],
    );
    assert.equal(encoder.failures, 1);
  });

  it('request() resolves with the frame asked for, or the newer one that replaced it', async () => {
    const { enc, encoder } = setup();
    const f1 = frame(1);
    const first = encoder.request(f1, 24);
    const replaced = encoder.request(frame(2), 24);
    const newest = encoder.request(frame(3), 24);
    encoder.submit(f1, 24); // already in flight: no second encode
    enc.calls[0]!.done();
    assert.equal(readFrameHeader((await first)!).seq, 1);
    await tick();
    assert.equal(enc.calls.length, 2);
    enc.calls[1]!.done();
    assert.equal(readFrameHeader((await replaced)!).seq, 3);
    assert.equal(readFrameHeader((await newest)!).seq, 3);
    assert.equal(enc.calls.length, 2, 'three requests, two encodes');
  });
});
