import fc from 'fast-check';
import t from 'tap';
import { readUtf8 } from '../protocol/utf8-strings.js';

const encoder = new TextEncoder();

/** `s` encoded, after some other bytes, so reads start inside the array. */
function embedded(s: string): { bytes: Uint8Array; start: number; length: number } {
  const body = encoder.encode(s);
  const bytes = new Uint8Array(body.length + 3);
  bytes.set([0xa1, 0x41, 0xff]);
  bytes.set(body, 3);
  return { bytes, start: 3, length: body.length };
}

t.test('reads any string the way a strict TextDecoder does, short, long, ASCII or not', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
      const { bytes, start, length } = embedded(s);
      return readUtf8(bytes, start, length) === s;
    }),
  );
  t.pass();
});

t.test('reads each of many short strings right, read once or again after thousands of others', async (t) => {
  // More words than the cache has slots: they collide, and each must still read as itself.
  const words = Array.from({ length: 20_000 }, (_, i) => `k${i.toString(36)}`);
  const misread = (): string[] => words.filter((word) => {
    const { bytes, start, length } = embedded(word);
    return readUtf8(bytes, start, length) !== word;
  });
  t.same(misread(), [], 'first reads');
  t.same(misread(), [], 'second reads');
});

t.test('refuses malformed UTF-8 instead of patching it', async (t) => {
  t.equal(readUtf8(Uint8Array.from([0x61, 0xc3, 0x28]), 0, 3), undefined, 'a broken two-byte sequence');
  t.equal(readUtf8(Uint8Array.from([0xed, 0xa0, 0x80]), 0, 3), undefined, 'an encoded lone surrogate');
  t.equal(readUtf8(Uint8Array.from([0x61, 0x62, 0xff]), 0, 2), 'ab', 'only the bytes asked for are read');
  const long = new Uint8Array(100).fill(0x61);
  long[99] = 0x80;
  t.equal(readUtf8(long, 0, 100), undefined, 'a long string with a stray continuation byte');
});
