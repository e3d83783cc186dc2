/**
 * The codec's public surface (`protocol/codec.ts`) as a whole: no input makes any of its
 * decoders throw anything but its own TroupeError. Each codec's own tests are in
 * `event-codec`, `frame-codec` and `value-codec.test.ts`.
 */
import t from 'tap';
import fc from 'fast-check';
import { decodeEvent, decodeFrame, decodeValue, encodeFrame, encodeValue, eventHeader } from '../protocol/codec.js';
import { codeOf, counting, goldenEventHex, goldenFrames, unhex } from './helpers/codec-fixtures.js';

t.test('random bytes never make a decoder throw anything but its TroupeError', async (t) => {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    // Valid encodings with a few bytes flipped, truncated or extended: closer to the edges.
    fc.tuple(fc.constantFrom(unhex(goldenEventHex), ...goldenFrames.map(([f]) => encodeFrame(f))), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -20, max: 5 })).map(([valid, flips, cut]) => {
      const bytes = Uint8Array.from(valid);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return cut < 0 ? bytes.subarray(0, bytes.length + cut) : Uint8Array.from([...bytes, ...counting(cut)]);
    }),
    // Well-formed msgpack of any shape.
    fc.anything({ maxDepth: 3 }).map(encodeValue),
  );
  fc.assert(
    fc.property(garbage, (bytes) => {
      const frame = codeOf(() => decodeFrame(bytes));
      const event = codeOf(() => decodeEvent(bytes));
      const header = codeOf(() => eventHeader(bytes));
      return (
        (frame === 'no error' || frame === 'TROUPE_PROTOCOL_BAD_FRAME') &&
        (event === 'no error' || event === 'TROUPE_PROTOCOL_BAD_EVENT') &&
        (header === 'no error' || header === 'TROUPE_PROTOCOL_BAD_EVENT') &&
        // Whatever decodeEvent accepts, a relay can read the header of.
        (event !== 'no error' || header === 'no error')
      );
    }),
    { numRuns: 3000 },
  );
  t.pass('property holds');
});

t.test('deeply nested input is refused, not a crash', async (t) => {
  const deep = new Uint8Array(1_000_000).fill(0x91);
  t.equal(codeOf(() => decodeEvent(Uint8Array.from([0x99, 0xa2, 0x6e, 0x31, 0x01, ...deep.subarray(0, 200_000)]))), 'TROUPE_PROTOCOL_BAD_EVENT');
  t.equal(codeOf(() => decodeFrame(deep)), 'TROUPE_PROTOCOL_BAD_FRAME');
  t.equal(codeOf(() => decodeValue(deep)), 'TROUPE_STORE_FAILED');
  t.same(decodeValue(encodeValue({ still: 'working' })), { still: 'working' });
});
