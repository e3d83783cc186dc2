/**
 * The value codec: the store's own records (snapshots, acknowledged clocks, dead letters)
 * as plain msgpack, through the same msgpackr options as events. These bytes never leave
 * the node; a failure is the store's (`TROUPE_STORE_FAILED`).
 */
import { copyOf } from './byte-slabs.js';
import { describe, packr } from './packr.js';
import { TroupeError } from './troupe-error.js';

/**
 * Encodes one of the store's own records as plain msgpack. `undefined` properties are
 * dropped and `undefined` array slots become nil, as in JSON.
 *
 * @returns bytes in a buffer of their own.
 * @throws TroupeError `TROUPE_STORE_FAILED` for a value msgpack cannot hold (a symbol, a cycle).
 */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return copyOf(packr.pack(value));
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_FAILED', `value cannot be encoded: ${describe(err)}`, { cause: err });
  }
}

/**
 * Decodes what `encodeValue` wrote. Maps decode as plain objects, `bin` as byte arrays
 * that own their memory.
 *
 * @throws TroupeError `TROUPE_STORE_FAILED` for bytes that are not one msgpack value.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_FAILED', `stored value cannot be decoded: ${describe(err)}`, { cause: err });
  }
}
