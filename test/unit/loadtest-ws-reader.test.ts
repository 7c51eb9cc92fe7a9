import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { encodeFrame, readFrameHeader } from '../../src/protocol/frame-header.js';
import { parsePaperHead } from '../../loadtest/dialect.js';
import { Opcode, WsReader, encodeClientFrame, type ReaderEvents } from '../../loadtest/ws-reader.js';

/** A server→client frame (unmasked). */
function serverFrame(payload: Uint8Array, opcode: number, fin = true): Uint8Array {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + ext + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  const v = new DataView(out.buffer);
  if (ext === 0) out[1] = n;
  else if (ext === 2) {
    out[1] = 126;
    v.setUint16(2, n);
  } else {
    out[1] = 127;
    v.setUint32(2, Math.floor(n / 2 ** 32));
    v.setUint32(6, n >>> 0);
  }
  out.set(payload, 2 + ext);
  return out;
}

type Seen = { kind: string; seq?: number; capturedAt?: number; relayedAt?: number; length?: number; text?: string; code?: number };

function reader(textCapture = 64): { r: WsReader; seen: Seen[] } {
  const seen: Seen[] = [];
  const ev: ReaderEvents = {
    binary(head, headLen, length) {
      if (headLen < 24) return seen.push({ kind: 'short', length });
      const h = readFrameHeader(head);
      seen.push({ kind: 'frame', seq: h.seq, capturedAt: h.capturedAt, relayedAt: h.relayedAt, length });
    },
    text(text, len, length) {
      seen.push({ kind: 'text', text: Buffer.from(text.subarray(0, len)).toString(), length });
    },
    ping: (p) => seen.push({ kind: 'ping', length: p.length }),
    close: (code) => seen.push({ kind: 'close', code }),
    protocolError: (m) => seen.push({ kind: 'error', text: m }),
  };
  return { r: new WsReader(ev, textCapture), seen };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

describe('frame header reading on the lean receive path', () => {
  const jpeg = new Uint8Array(70_000).fill(7);
  jpeg.set([0xff, 0xd8]);
  jpeg.set([0xff, 0xd9], jpeg.length - 2);
  const frame = encodeFrame(jpeg, 4242, 1_700_000_000_123.5, 1_700_000_000_125.25);
  const small = encodeFrame(jpeg.subarray(0, 100), 7, 1, 2);
  const stream = concat([
    serverFrame(new TextEncoder().encode('{"type":"welcome","room":"x"}'), Opcode.TEXT),
    serverFrame(frame, Opcode.BINARY),
    serverFrame(new Uint8Array([1, 2, 3]), Opcode.PING),
    serverFrame(small, Opcode.BINARY),
    serverFrame(new Uint8Array([0x0f, 0xa1]), Opcode.CLOSE),
  ]);
  const expected: Seen[] = [
    { kind: 'text', text: '{"type":"welcome","room":"x"}', length: 29 },
    { kind: 'frame', seq: 4242, capturedAt: 1_700_000_000_123.5, relayedAt: 1_700_000_000_125.25, length: frame.length },
    { kind: 'ping', length: 3 },
    { kind: 'frame', seq: 7, capturedAt: 1, relayedAt: 2, length: small.length },
    { kind: 'close', code: 4001 },
  ];

  it('reads seq, capturedAt and relayedAt whole or split at any byte', () => {
    const whole = reader();
    whole.r.push(stream);
    assert.deepEqual(whole.seen, expected);
    // Every split point inside the headers and the first bytes of the payload.
    for (let cut = 1; cut < 120; cut++) {
      const t = reader();
      t.r.push(stream.subarray(0, cut));
      t.r.push(stream.subarray(cut));
      assert.deepEqual(t.seen, expected, `split at ${cut}`);
    }
  });

  it('reads a stream delivered in odd-sized chunks, as sockets do', () => {
    const t = reader();
    for (let i = 0; i < stream.length; i += 1459) t.r.push(stream, i, Math.min(stream.length, i + 1459));
    assert.deepEqual(t.seen, expected);
  });

  it('joins fragmented messages and keeps only the leading text bytes asked for', () => {
    const t = reader(8);
    const a = frame.subarray(0, 10);
    const b = frame.subarray(10);
    t.r.push(concat([serverFrame(a, Opcode.BINARY, false), serverFrame(new Uint8Array([9]), Opcode.PING), serverFrame(b, 0)]));
    t.r.push(serverFrame(new TextEncoder().encode('{"type":"chat","id":1}'), Opcode.TEXT));
    assert.deepEqual(t.seen, [
      { kind: 'ping', length: 1 },
      { kind: 'frame', seq: 4242, capturedAt: 1_700_000_000_123.5, relayedAt: 1_700_000_000_125.25, length: frame.length },
      { kind: 'text', text: '{"type":', length: 22 },
    ]);
  });

  it('reports 64-bit lengths and flags frames a server must not send', () => {
    const big = new Uint8Array(70_000);
    big.set(frame.subarray(0, 24));
    const f = serverFrame(big, Opcode.BINARY);
    // Re-encode with the 8-byte length form although 16 bits would do: readers must accept it.
    const long = concat([new Uint8Array([0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]), big]);
    const t = reader();
    t.r.push(long);
    t.r.push(f);
    assert.equal(t.seen.length, 2);
    assert.deepEqual(t.seen[0], t.seen[1]);
    const masked = reader();
    masked.r.push(new Uint8Array([0x82, 0x81, 1, 2, 3, 4, 5]));
    assert.equal(masked.seen[0]?.kind, 'error');
  });

  it('masks client frames so that unmasking gives the payload back', () => {
    for (const n of [0, 5, 125, 126, 1000, 65_535, 65_536, 70_001]) {
      const payload = new Uint8Array(n).map((_, i) => (i * 31) & 255);
      const out = encodeClientFrame(payload, Opcode.BINARY);
      assert.equal(out[0], 0x82);
      assert.ok(out[1]! & 0x80, 'mask bit set');
      const len7 = out[1]! & 0x7f;
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const key = out.subarray(2 + ext, 6 + ext);
      const body = out.subarray(6 + ext);
      assert.equal(body.length, n);
      assert.deepEqual(new Uint8Array(body.map((b, i) => b ^ key[i & 3]!)), payload);
    }
  });

  it('reads the head of a paper (base64 JSON) frame', () => {
    assert.deepEqual(parsePaperHead('{"seq":12,"capturedAt":1700000000123.5,"relayedAt":1700000000125,"image":"data:'), {
      seq: 12,
      capturedAt: 1700000000123.5,
      relayedAt: 1700000000125,
    });
    assert.equal(parsePaperHead('{"type":"chat"}'), null);
  });
});
