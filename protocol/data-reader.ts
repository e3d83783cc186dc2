/**
 * The value reader: an event's data read by the strict `WireReader`, as JSON would have it
 * (`event-data.ts` holds a publisher to the same rule). nil, true/false, any msgpack integer
 * (64-bit ones as numbers, rounded beyond 2⁵³), float32/64, a string of valid UTF-8, a `bin`
 * (a Buffer copy), an array, or a map with string keys, nested at most `depth` deep.
 * Anything else is refused: every extension type (msgpackr's BigInt, Date, Set, Map, Error,
 * RegExp, typed arrays, records), the unused byte 0xc1, map keys that are not strings, a
 * key twice in one map, and the key `__proto__`.
 */
import { ARRAY, BIN, MAP, STR, type WireReader } from './msgpack-reader.js';
import { show } from './wire-fields.js';

/**
 * One value of event data, nested at most `depth` deep.
 *
 * @throws TroupeError with the reader's code for anything that is not event data.
 */
export function readData(r: WireReader, depth: number): unknown {
  const b = r.byte();
  if (b <= 0x7f) return b;
  if (b >= 0xe0) return b - 0x100;
  let n = r.lengthAfter(b, STR);
  if (n >= 0) return r.utf8(n);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xca:
      return r.float(4);
    case 0xcb:
      return r.float(8);
  }
  const int = r.unsignedAfter(b) ?? r.signedAfter(b);
  if (int !== undefined) return int;
  if ((n = r.lengthAfter(b, MAP)) >= 0) return readMap(r, n, depth);
  if ((n = r.lengthAfter(b, ARRAY)) >= 0) return readArray(r, n, depth);
  // A Buffer, as msgpackr gave: JSON views show `bin` the way they always did.
  if ((n = r.lengthAfter(b, BIN)) >= 0) return Buffer.from(r.bytes(n));
  r.unread();
  throw r.error(`msgpack type 0x${b.toString(16)} (an extension or unused byte) is not allowed in event data`);
}

function readArray(r: WireReader, length: number, depth: number): unknown[] {
  if (depth <= 0) throw r.error('event data nested too deeply');
  // Every element takes at least a byte: a length beyond the bytes left allocates nothing.
  if (length > r.left) throw r.error('truncated');
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) out[i] = readData(r, depth - 1);
  return out;
}

function readMap(r: WireReader, length: number, depth: number): Record<string, unknown> {
  if (depth <= 0) throw r.error('event data nested too deeply');
  if (length > r.left / 2) throw r.error('truncated');
  const out: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const keyLength = r.lengthAfter(r.byte(), STR);
    if (keyLength < 0) {
      r.unread();
      throw r.error('event data map keys must be strings');
    }
    const key = r.utf8(keyLength);
    if (key === '__proto__') throw r.error('the map key __proto__ is not allowed in event data');
    if (Object.hasOwn(out, key)) throw r.error(`duplicate map key ${show(key)}`);
    out[key] = readData(r, depth - 1);
  }
  return out;
}
