/**
 * Strings out of msgpack bytes, for the strict reader: ASCII read directly, anything else
 * through a fatal `TextDecoder`, so malformed UTF-8 is refused instead of patched with
 * U+FFFD.
 *
 * Almost every string in an event is short ASCII that the previous event had too: its
 * origin and clock's node ids, its type, its data's keys. Such strings come from a cache
 * keyed by a hash of their bytes and checked against them, so reading one allocates
 * nothing; building each of them afresh per event was a large share of a receiving node's
 * garbage. (msgpackr keeps a cache of map keys for the same reason.)
 */

/** The longest string the cache holds: node ids, types and keys fit, long values do not. */
const MAX_CACHED_LENGTH = 24;
/** Slots in the cache (a power of two); a slot holds the last string hashed to it. */
const CACHE_SLOTS = 4096;
const cache: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);

/** Strict UTF-8: malformed strings are refused, not patched with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The `length` bytes at `start` as a string, or `undefined` if they are not valid UTF-8. */
export function readUtf8(bytes: Uint8Array, start: number, length: number): string | undefined {
  if (length <= MAX_CACHED_LENGTH) {
    const ascii = cachedAscii(bytes, start, length);
    if (ascii !== undefined) return ascii;
  }
  try {
    return utf8.decode(bytes.subarray(start, start + length));
  } catch {
    return undefined;
  }
}

/** Short bytes as a string from the cache (or into it) if they are all ASCII, else `undefined`. */
function cachedAscii(bytes: Uint8Array, start: number, length: number): string | undefined {
  const end = start + length;
  let hash = length;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b >= 0x80) return undefined;
    hash = (Math.imul(hash, 31) + b) | 0;
  }
  const slot = (hash ^ (hash >>> 12)) & (CACHE_SLOTS - 1);
  const cached = cache[slot];
  if (cached !== undefined && cached.length === length && sameChars(cached, bytes, start)) return cached;
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  cache[slot] = s;
  return s;
}

function sameChars(s: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
