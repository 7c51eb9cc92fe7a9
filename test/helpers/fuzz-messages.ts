import fc from 'fast-check';
import { encodeFrame } from '../../src/protocol/index.js';
import { mutated } from './fuzz.js';
import { fakeJpeg } from './jpeg.js';

// What hostile clients send: shared by the Session property tests and the live-server fuzz test.

const encoder = new TextEncoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const json = (v: unknown): Uint8Array => utf8(JSON.stringify(v));

export const CLIENT_TYPES = ['chat', 'history', 'ping', 'quality'] as const;

// Values for message fields: plausible ones and anything JSON can carry.
const weird = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom(-1, 0.5, -0, 2 ** 53, 1e308, '', ' ', '\u0000', '\u202e'));
const fields = {
  text: fc.oneof(fc.string({ minLength: 1, maxLength: 220 }), fc.string({ unit: 'grapheme', maxLength: 60 }), weird),
  ref: fc.oneof(fc.string({ maxLength: 70 }), weird),
  since: fc.oneof(fc.nat(), fc.integer(), weird),
  t: fc.oneof(fc.double(), weird),
  quality: fc.oneof(fc.constantFrom('source', 'sd', 'thumb', 'hd', 'SD', ''), weird),
};
const type = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CLIENT_TYPES) }, fc.string({ maxLength: 12 }), weird);

/** Messages of any shape, mostly with a known type. */
export const shapedMessage = fc.record({ type, ...fields }, { requiredKeys: ['type'] });

/** Well-formed client messages, each one a fresh connection may send. */
export const validMessage = fc.oneof(
  fc.record({ type: fc.constant('chat'), text: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== ''), ref: fc.option(fc.string({ maxLength: 64 }), { nil: undefined }) }),
  fc.record({ type: fc.constant('history'), since: fc.nat() }),
  fc.record({ type: fc.constant('ping'), t: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ type: fc.constant('quality'), quality: fc.constantFrom('source', 'sd') }),
);

/** Text messages as bytes: shaped, mutated valid, arbitrary JSON, any text, invalid UTF-8, around the size limit. */
export function textMessage(maxTextBytes: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: shapedMessage.map(json) },
    { weight: 2, arbitrary: mutated(validMessage.map(json)) },
    fc.json({ maxDepth: 2 }).map(utf8),
    fc.string({ unit: 'binary', maxLength: 120 }).map(utf8),
    fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: maxTextBytes - 20, max: maxTextBytes + 40 }).map((n) => json({ type: 'chat', text: 'x'.repeat(n) })),
  );
}

/** Frames: valid (fake or from `pictures`, e.g. real JPEGs with EXIF), mutated, random bytes. */
export function binaryMessage(pictures: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const valid = fc
    .tuple(fc.nat(), fc.nat(), fc.integer({ min: 34, max: 300 }))
    .map(([seq, k, size]) => encodeFrame(pictures.length > 0 && k % 2 === 0 ? pictures[k % pictures.length]! : fakeJpeg(size), seq, 1));
  return fc.oneof(valid, mutated(valid), fc.uint8Array({ maxLength: 60 }));
}
