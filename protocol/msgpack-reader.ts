/**
 * A strict msgpack reader for frames and events: array and map headers, strings, node
 * ids, non-negative integers, `bin`s, and the JSON-like values of event data.
 *
 * Why not msgpackr: a frame is the one input a stranger controls, and a generic decoder
 * would build whatever the bytes describe (millions of empty arrays, extension objects)
 * before validation could reject it. This reader walks the bytes in place, checks every
 * declared length against the bytes actually there before using it, and only ever
 * allocates the fields it returns. Any malformed input fails with a `TroupeError` carrying
 * the code the caller chose (`TROUPE_PROTOCOL_BAD_FRAME` or `TROUPE_PROTOCOL_BAD_EVENT`).
 *
 * It reads against the wire's field rules (`wire-fields.ts`: `isNodeId`, `isCount`), so
 * the codec's encoders and this reader accept exactly the same values. It must not import
 * msgpackr: `protocol/packr.ts` is the only module that does.
 */
import { copyOf } from './byte-slabs.js';
import type { VectorClock } from './envelope.js';
import { TroupeError, type TroupeErrorCode } from './troupe-error.js';
import { MAX_ORIGIN_LENGTH } from './origin.js';
import { isCount, isNodeId, isOriginId, show } from './wire-fields.js';

/**
 * A strict msgpack reader for the few shapes frames and event headers use. It reads in
 * place, checks every length against the bytes actually there before using it (a declared
 * length never allocates anything), and fails with one `TroupeError` code.
 */
export class WireReader {
  #pos = 0;
  readonly #bytes: Uint8Array;
  readonly #code: TroupeErrorCode;

  constructor(bytes: Uint8Array, code: TroupeErrorCode) {
    if (!(bytes instanceof Uint8Array)) throw new TroupeError(code, 'expected bytes');
    this.#bytes = bytes;
    this.#code = code;
  }

  /** The error to throw for malformed input at the current position. */
  error(message: string): TroupeError {
    return new TroupeError(this.#code, `${message} (at byte ${this.#pos})`);
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.#pos !== this.#bytes.length) throw this.error('trailing bytes after the frame');
  }

  /** An array header (fixarray, array16, array32): the element count. */
  arrayHeader(): number {
    const b = this.#uint(1);
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.#uint(2);
    if (b === 0xdd) return this.#uint(4);
    throw this.error('expected an array');
  }

  /** A map header (fixmap, map16, map32): the entry count. */
  mapHeader(): number {
    const b = this.#uint(1);
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) return this.#uint(2);
    if (b === 0xdf) return this.#uint(4);
    throw this.error('expected a map');
  }

  /** A UTF-8 string (fixstr, str8, str16, str32) of at most `maxBytes` bytes. */
  str(maxBytes: number): string {
    const length = this.#strLength();
    if (length > maxBytes) throw this.error(`string longer than ${maxBytes} bytes`);
    const start = this.#take(length);
    try {
      return utf8.decode(this.#bytes.subarray(start, start + length));
    } catch {
      throw this.error('invalid UTF-8');
    }
  }

  /** A node id: an ASCII string matching `NODE_ID_PATTERN`. */
  nodeId(): string {
    const length = this.#strLength();
    if (length < 1 || length > 64) throw this.error('expected a node id');
    const start = this.#take(length);
    // Node ids are ASCII: decoding byte by byte is exact for them, and any other byte
    // yields a character the pattern rejects.
    let id = '';
    for (let i = start; i < start + length; i++) id += String.fromCharCode(this.#bytes[i]);
    if (!isNodeId(id)) throw this.error(`${show(id)} is not a node id`);
    return id;
  }

  /** An origin: a node id, optionally `~` and an incarnation (`origin.ts`), all ASCII. */
  origin(): string {
    const length = this.#strLength();
    if (length < 1 || length > MAX_ORIGIN_LENGTH) throw this.error('expected an origin');
    const start = this.#take(length);
    let id = '';
    for (let i = start; i < start + length; i++) id += String.fromCharCode(this.#bytes[i]);
    if (!isOriginId(id)) throw this.error(`${show(id)} is not an origin`);
    return id;
  }

  /**
   * A non-negative safe integer: positive fixint, uint8/16/32/64, or a float64 holding an
   * integer (msgpackr writes integers of 2³² and above as float64).
   */
  count(): number {
    const b = this.#uint(1);
    if (b <= 0x7f) return b;
    let n: number;
    switch (b) {
      case 0xcc:
        return this.#uint(1);
      case 0xcd:
        return this.#uint(2);
      case 0xce:
        return this.#uint(4);
      case 0xcf:
        n = this.#uint(4) * 0x1_0000_0000 + this.#uint(4);
        break;
      case 0xcb:
        n = this.#float(8);
        break;
      default:
        throw this.error('expected a non-negative integer');
    }
    if (!isCount(n)) throw this.error('integer out of range');
    return n;
  }

  /** The next byte, not read yet. */
  peek(): number {
    if (this.#pos >= this.#bytes.length) throw this.error('truncated');
    return this.#bytes[this.#pos];
  }

  /** Reads a `nil` if one is next; whether it did. */
  nil(): boolean {
    if (this.#pos >= this.#bytes.length || this.#bytes[this.#pos] !== 0xc0) return false;
    this.#pos++;
    return true;
  }

  /** A `uint` (positive fixint, uint8–64) that is a safe integer; unlike `count`, not a float64. */
  uint(): number {
    if (this.#pos < this.#bytes.length && this.#bytes[this.#pos] === 0xcb) throw this.error('expected an unsigned integer, not a float64');
    return this.count();
  }

  /** An event's ts: a `uint`, or a float64 that is finite and not negative. */
  time(): number {
    if (this.#pos >= this.#bytes.length || this.#bytes[this.#pos] !== 0xcb) return this.uint();
    this.#pos++;
    const n = this.#float(8);
    if (!Number.isFinite(n) || n < 0) throw this.error('expected a finite, non-negative time');
    return n;
  }

  /**
   * One value of event data, as JSON would have it: nil, true/false, any msgpack integer
   * (64-bit ones as numbers, rounded beyond 2⁵³), float32/64, a string of valid UTF-8, a
   * `bin` (a Buffer copy), an array, or a map with string keys, nested at most `depth`
   * deep. Anything else is refused: every extension type (msgpackr's BigInt, Date, Set,
   * Map, Error, RegExp, typed arrays, records), the unused byte 0xc1, map keys that are
   * not strings, a key twice in one map, and the key `__proto__`.
   */
  value(depth: number): unknown {
    const b = this.#uint(1);
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.#utf8(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.#array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.#map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const length = this.#uint(b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4);
        const start = this.#take(length);
        // A Buffer, as msgpackr gave: JSON views show `bin` the way they always did.
        return Buffer.from(this.#bytes.subarray(start, start + length));
      }
      case 0xca:
        return this.#float(4);
      case 0xcb:
        return this.#float(8);
      case 0xcc:
        return this.#uint(1);
      case 0xcd:
        return this.#uint(2);
      case 0xce:
        return this.#uint(4);
      case 0xcf:
        return this.#uint(4) * 0x1_0000_0000 + this.#uint(4);
      case 0xd0:
        return (this.#uint(1) << 24) >> 24;
      case 0xd1:
        return (this.#uint(2) << 16) >> 16;
      case 0xd2:
        return this.#uint(4) | 0;
      case 0xd3:
        return (this.#uint(4) | 0) * 0x1_0000_0000 + this.#uint(4);
      case 0xd9:
        return this.#utf8(this.#uint(1));
      case 0xda:
        return this.#utf8(this.#uint(2));
      case 0xdb:
        return this.#utf8(this.#uint(4));
      case 0xdc:
        return this.#array(this.#uint(2), depth);
      case 0xdd:
        return this.#array(this.#uint(4), depth);
      case 0xde:
        return this.#map(this.#uint(2), depth);
      case 0xdf:
        return this.#map(this.#uint(4), depth);
      default:
        this.#pos--;
        throw this.error(`msgpack type 0x${b.toString(16)} (an extension or unused byte) is not allowed in event data`);
    }
  }

  /** A `bin` (bin8/16/32) of `min` to `max` bytes, copied out of the input. */
  bin(min: number, max: number): Uint8Array {
    const b = this.#uint(1);
    let length: number;
    if (b === 0xc4) length = this.#uint(1);
    else if (b === 0xc5) length = this.#uint(2);
    else if (b === 0xc6) length = this.#uint(4);
    else throw this.error('expected bin');
    if (length < min || length > max) throw this.error(`bin of ${length} bytes, expected ${min === max ? min : `${min} to ${max}`}`);
    const start = this.#take(length);
    return copyOf(this.#bytes.subarray(start, start + length));
  }

  /** A vector clock: a map of origins to non-negative integers, without duplicate keys. */
  clock(): VectorClock {
    const vc: VectorClock = {};
    for (let i = this.mapHeader(); i > 0; i--) {
      const node = this.origin();
      if (Object.hasOwn(vc, node)) throw this.error(`duplicate clock entry ${node}`);
      vc[node] = this.count();
    }
    return vc;
  }

  #array(length: number, depth: number): unknown[] {
    if (depth <= 0) throw this.error('event data nested too deeply');
    // Every element takes at least a byte: a length beyond the bytes left allocates nothing.
    if (length > this.#bytes.length - this.#pos) throw this.error('truncated');
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = this.value(depth - 1);
    return out;
  }

  #map(length: number, depth: number): Record<string, unknown> {
    if (depth <= 0) throw this.error('event data nested too deeply');
    if (length > (this.#bytes.length - this.#pos) / 2) throw this.error('truncated');
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const k = this.#bytes[this.#pos];
      if (!((k >= 0xa0 && k <= 0xbf) || (k >= 0xd9 && k <= 0xdb))) throw this.error('event data map keys must be strings');
      const key = this.#utf8(this.#strLength());
      if (key === '__proto__') throw this.error('the map key __proto__ is not allowed in event data');
      if (Object.hasOwn(out, key)) throw this.error(`duplicate map key ${show(key)}`);
      out[key] = this.value(depth - 1);
    }
    return out;
  }

  /** `length` bytes of strict UTF-8 as a string. */
  #utf8(length: number): string {
    const start = this.#take(length);
    const bytes = this.#bytes;
    // Short ASCII strings (most keys and values) without a TextDecoder call.
    if (length <= 32) {
      let s = '';
      let i = start;
      for (; i < start + length && bytes[i] < 0x80; i++) s += String.fromCharCode(bytes[i]);
      if (i === start + length) return s;
    }
    try {
      return utf8.decode(bytes.subarray(start, start + length));
    } catch {
      this.#pos = start;
      throw this.error('invalid UTF-8');
    }
  }

  /** A big-endian float32 (`n` 4) or float64 (`n` 8). */
  #float(n: 4 | 8): number {
    const start = this.#take(n);
    // Through one shared view: every event's ts is a float64, and a DataView per read adds up.
    for (let i = 0; i < n; i++) floatBytes.setUint8(i, this.#bytes[start + i]);
    return n === 4 ? floatBytes.getFloat32(0) : floatBytes.getFloat64(0);
  }

  #strLength(): number {
    const b = this.#uint(1);
    if (b >= 0xa0 && b <= 0xbf) return b & 0x1f;
    if (b === 0xd9) return this.#uint(1);
    if (b === 0xda) return this.#uint(2);
    if (b === 0xdb) return this.#uint(4);
    throw this.error('expected a string');
  }

  /** Claims the next `n` bytes and returns where they start. */
  #take(n: number): number {
    const start = this.#pos;
    if (n > this.#bytes.length - start) throw this.error('truncated');
    this.#pos = start + n;
    return start;
  }

  /** A big-endian unsigned integer of `n` ≤ 4 bytes. */
  #uint(n: 1 | 2 | 4): number {
    const start = this.#take(n);
    const b = this.#bytes;
    if (n === 1) return b[start];
    if (n === 2) return (b[start] << 8) | b[start + 1];
    return b[start] * 0x100_0000 + ((b[start + 1] << 16) | (b[start + 2] << 8) | b[start + 3]);
  }
}

/** Scratch bytes to read floats from. */
const floatBytes = new DataView(new ArrayBuffer(8));

/** Strict UTF-8: malformed strings in a frame are refused, not patched with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
