/**
 * A strict msgpack reader for the few shapes that frames and event headers use: array and
 * map headers, strings, node ids, non-negative integers and `bin`s.
 *
 * Why not msgpackr: a frame is the one input a stranger controls, and a generic decoder
 * would build whatever the bytes describe (millions of empty arrays, extension objects)
 * before validation could reject it. This reader walks the bytes in place, checks every
 * declared length against the bytes actually there before using it, and only ever
 * allocates the fields it returns. Any malformed input fails with a `TroupeError` carrying
 * the code the caller chose (`TROUPE_PROTOCOL_BAD_FRAME` or `TROUPE_PROTOCOL_BAD_EVENT`).
 *
 * It also holds the helpers it shares with the codec: the field checks it reads against,
 * `isNodeId` and `isCount` (so the codec's encoders and this reader accept exactly the
 * same values), and `show`. It must not import msgpackr: `protocol/packr.ts` is the only
 * module that does.
 */
import { copyOf } from './byte-slabs.js';
import { NODE_ID_PATTERN, type VectorClock } from './envelope.js';
import { TroupeError, type TroupeErrorCode } from './troupe-error.js';

/** A short, never-throwing rendering of a bad value for an error message. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
}

/** A node id: `NODE_ID_PATTERN`, and not `__proto__`, which no plain-object clock can hold. */
export function isNodeId(s: unknown): s is string {
  return typeof s === 'string' && NODE_ID_PATTERN.test(s) && s !== '__proto__';
}

/** A non-negative safe integer. */
export function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

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

  /** Reads a nil if one comes next; whether it did (for the fields that may be nil). */
  nil(): boolean {
    if (this.#pos >= this.#bytes.length || this.#bytes[this.#pos] !== 0xc0) return false;
    this.#pos++;
    return true;
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
      case 0xcb: {
        const start = this.#take(8);
        const bytes = this.#bytes;
        n = new DataView(bytes.buffer, bytes.byteOffset + start, 8).getFloat64(0);
        break;
      }
      default:
        throw this.error('expected a non-negative integer');
    }
    if (!isCount(n)) throw this.error('integer out of range');
    return n;
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

  /** A vector clock: a map of node ids to non-negative integers, without duplicate keys. */
  clock(): VectorClock {
    const vc: VectorClock = {};
    for (let i = this.mapHeader(); i > 0; i--) {
      const node = this.nodeId();
      if (Object.hasOwn(vc, node)) throw this.error(`duplicate clock entry ${node}`);
      vc[node] = this.count();
    }
    return vc;
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

/** Strict UTF-8: malformed strings in a frame are refused, not patched with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
