/**
 * A strict msgpack reader for frames and events: array and map headers, strings, node
 * ids, non-negative integers, `bin`s and vector clocks. Event data, the one free-form part,
 * is read over it by `data-reader.ts`.
 *
 * Why not msgpackr: a frame is the one input a stranger controls, and a generic decoder
 * would build whatever the bytes describe (millions of empty arrays, extension objects)
 * before validation could reject it. This reader walks the bytes in place, checks every
 * declared length against the bytes actually there before using it, and only ever
 * allocates the fields it returns. Any malformed input fails with a `TroupeError` carrying
 * the code the caller chose (`TROUPE_PROTOCOL_BAD_FRAME` or `TROUPE_PROTOCOL_BAD_EVENT`).
 *
 * Each header family (str, bin, array, map) is decoded in one place, `lengthAfter`, and
 * each unsigned integer in `unsignedAfter`: the structural reads here and the value reader
 * share them. It reads against the wire's field rules (`wire-fields.ts`), so the codec's
 * encoders and this reader accept exactly the same values. It must not import msgpackr:
 * `protocol/packr.ts` is the only module that does.
 */
import { copyOf } from './byte-slabs.js';
import type { VectorClock } from './envelope.js';
import { TroupeError, type TroupeErrorCode } from './troupe-error.js';
import { MAX_ORIGIN_LENGTH } from './origin.js';
import { readUtf8 } from './utf8-strings.js';
import { isCount, isNodeId, isOriginId, show } from './wire-fields.js';

/**
 * The header bytes of a msgpack family whose header says a length: a fix range with the
 * length in its low bits (`fixFirst`..`fixLast`, empty for `bin`), then the headers
 * followed by an 8-, 16- or 32-bit length (-1 where the family has none).
 */
export interface HeaderFamily {
  readonly name: string;
  readonly fixFirst: number;
  readonly fixLast: number;
  readonly sized: readonly [len8: number, len16: number, len32: number];
}

export const STR: HeaderFamily = { name: 'a string', fixFirst: 0xa0, fixLast: 0xbf, sized: [0xd9, 0xda, 0xdb] };
export const BIN: HeaderFamily = { name: 'bin', fixFirst: -1, fixLast: -2, sized: [0xc4, 0xc5, 0xc6] };
export const ARRAY: HeaderFamily = { name: 'an array', fixFirst: 0x90, fixLast: 0x9f, sized: [-1, 0xdc, 0xdd] };
export const MAP: HeaderFamily = { name: 'a map', fixFirst: 0x80, fixLast: 0x8f, sized: [-1, 0xde, 0xdf] };

/**
 * A strict msgpack reader for the shapes frames and event headers use. It reads in place,
 * checks every length against the bytes actually there before using it (a declared length
 * never allocates anything), and fails with one `TroupeError` code.
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

  /** How many bytes are left to read. */
  get left(): number {
    return this.#bytes.length - this.#pos;
  }

  /** Where the next byte to read is. */
  get position(): number {
    return this.#pos;
  }

  /** Reads `expected` if the input continues with exactly those bytes; whether it did. */
  readIfNext(expected: Uint8Array): boolean {
    const start = this.#pos;
    const n = expected.length;
    if (n > this.#bytes.length - start) return false;
    if (compareBytes.call(this.#bytes, expected, 0, n, start, start + n) !== 0) return false;
    this.#pos = start + n;
    return true;
  }

  /** The bytes read from `start` (an earlier {@link position}) to here, as a view into the input. */
  readSince(start: number): Uint8Array {
    return this.#bytes.subarray(start, this.#pos);
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.#pos !== this.#bytes.length) throw this.error('trailing bytes after the frame');
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

  /** An array header (fixarray, array16, array32): the element count. */
  arrayHeader(): number {
    return this.#header(ARRAY);
  }

  /** A map header (fixmap, map16, map32): the entry count. */
  mapHeader(): number {
    return this.#header(MAP);
  }

  /** A UTF-8 string (fixstr, str8, str16, str32) of at most `maxBytes` bytes. */
  str(maxBytes: number): string {
    const length = this.#header(STR);
    if (length > maxBytes) throw this.error(`string longer than ${maxBytes} bytes`);
    return this.utf8(length);
  }

  /** A node id: an ASCII string matching `NODE_ID_PATTERN`. */
  nodeId(): string {
    const length = this.#header(STR);
    if (length < 1 || length > 64) throw this.error('expected a node id');
    // Any byte that is not ASCII decodes to a character the pattern rejects.
    const id = this.utf8(length);
    if (!isNodeId(id)) throw this.error(`${show(id)} is not a node id`);
    return id;
  }

  /** An origin: a node id, optionally `~` and an incarnation (`origin.ts`), all ASCII. */
  origin(): string {
    const length = this.#header(STR);
    if (length < 1 || length > MAX_ORIGIN_LENGTH) throw this.error('expected an origin');
    const id = this.utf8(length);
    if (knownOrigins.has(id)) return id;
    if (!isOriginId(id)) throw this.error(`${show(id)} is not an origin`);
    if (knownOrigins.size >= MAX_KNOWN_ORIGINS) knownOrigins.clear();
    knownOrigins.add(id);
    return id;
  }

  /**
   * A non-negative safe integer: positive fixint, uint8/16/32/64, or a float64 holding an
   * integer (msgpackr writes integers of 2³² and above as float64).
   */
  count(): number {
    const b = this.byte();
    if (b <= 0x7f) return b;
    const n = b === 0xcb ? this.float(8) : this.unsignedAfter(b);
    if (n === undefined) throw this.error('expected a non-negative integer');
    if (!isCount(n)) throw this.error('integer out of range');
    return n;
  }

  /** A `uint` (positive fixint, uint8–64) that is a safe integer; unlike `count`, not a float64. */
  uint(): number {
    if (this.left > 0 && this.#bytes[this.#pos] === 0xcb) throw this.error('expected an unsigned integer, not a float64');
    return this.count();
  }

  /** An event's ts: a `uint`, or a float64 that is finite and not negative. */
  time(): number {
    if (this.left === 0 || this.#bytes[this.#pos] !== 0xcb) return this.uint();
    this.#pos++;
    const n = this.float(8);
    if (!Number.isFinite(n) || n < 0) throw this.error('expected a finite, non-negative time');
    return n;
  }

  /** A `bin` (bin8/16/32) of `min` to `max` bytes, copied out of the input. */
  bin(min: number, max: number): Uint8Array {
    const length = this.#header(BIN);
    if (length < min || length > max) throw this.error(`bin of ${length} bytes, expected ${min === max ? min : `${min} to ${max}`}`);
    return copyOf(this.bytes(length));
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

  /**
   * Steps over a vector clock without building it: each origin's length is checked against
   * the bytes there and each count read, but no origin is decoded or matched. For bytes
   * already validated once (a logged event), read again only for what follows the clock.
   */
  skipClock(): void {
    for (let i = this.mapHeader(); i > 0; i--) {
      const length = this.#header(STR);
      if (length < 1 || length > MAX_ORIGIN_LENGTH) throw this.error('expected an origin');
      this.#take(length);
      this.count();
    }
  }

  /** The next byte, read. */
  byte(): number {
    return this.#uint(1);
  }

  /** Steps back over the byte just read, so that an error points at it. */
  unread(): void {
    this.#pos--;
  }

  /**
   * The length that header byte `b` (already read) of `family` announces, reading the
   * length bytes that follow it; -1 when `b` is not a header of that family.
   */
  lengthAfter(b: number, family: HeaderFamily): number {
    if (b >= family.fixFirst && b <= family.fixLast) return b - family.fixFirst;
    const [len8, len16, len32] = family.sized;
    if (b === len8) return this.#uint(1);
    if (b === len16) return this.#uint(2);
    if (b === len32) return this.#uint(4);
    return -1;
  }

  /** The integer after header byte `b` (already read) when it is uint8–64, else `undefined`. */
  unsignedAfter(b: number): number | undefined {
    switch (b) {
      case 0xcc:
        return this.#uint(1);
      case 0xcd:
        return this.#uint(2);
      case 0xce:
        return this.#uint(4);
      case 0xcf:
        return this.#uint(4) * 0x1_0000_0000 + this.#uint(4);
      default:
        return undefined;
    }
  }

  /** The integer after header byte `b` (already read) when it is int8–64, else `undefined`. */
  signedAfter(b: number): number | undefined {
    switch (b) {
      case 0xd0:
        return (this.#uint(1) << 24) >> 24;
      case 0xd1:
        return (this.#uint(2) << 16) >> 16;
      case 0xd2:
        return this.#uint(4) | 0;
      case 0xd3:
        return (this.#uint(4) | 0) * 0x1_0000_0000 + this.#uint(4);
      default:
        return undefined;
    }
  }

  /** A big-endian float32 (`n` 4) or float64 (`n` 8). */
  float(n: 4 | 8): number {
    const start = this.#take(n);
    // Through one shared view: every event's ts is a float64, and a DataView per read adds up.
    for (let i = 0; i < n; i++) floatBytes.setUint8(i, this.#bytes[start + i]);
    return n === 4 ? floatBytes.getFloat32(0) : floatBytes.getFloat64(0);
  }

  /** `length` bytes of strict UTF-8 as a string. */
  utf8(length: number): string {
    const start = this.#take(length);
    const s = readUtf8(this.#bytes, start, length);
    if (s !== undefined) return s;
    this.#pos = start;
    throw this.error('invalid UTF-8');
  }

  /** The next `length` bytes, as a view into the input. */
  bytes(length: number): Uint8Array {
    const start = this.#take(length);
    return this.#bytes.subarray(start, start + length);
  }

  #header(family: HeaderFamily): number {
    const length = this.lengthAfter(this.#uint(1), family);
    if (length < 0) throw this.error(`expected ${family.name}`);
    return length;
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

/**
 * Origins that passed the pattern already: every event's clock names most origins of the
 * cluster, and matching each against the pattern again was a large share of a catch-up's
 * decoding. Bounded: cleared when full.
 */
const knownOrigins = new Set<string>();
const MAX_KNOWN_ORIGINS = 4096;

/**
 * Node's `memcmp` of two byte ranges, called on any `Uint8Array` (not only a `Buffer`):
 * for a clock of a few hundred bytes, several times faster than comparing byte by byte.
 */
const compareBytes = Buffer.prototype.compare;

/** Scratch bytes to read floats from. */
const floatBytes = new DataView(new ArrayBuffer(8));
