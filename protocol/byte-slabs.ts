/**
 * Copies of small byte strings, packed into shared slabs.
 *
 * Every event is copied at least twice on its way (encoded on its origin, taken out of a
 * frame on each receiver). A `new Uint8Array(n)` per copy allocates an ArrayBuffer of its
 * own outside the V8 heap: that costs several times the copy itself, and every minor GC
 * then sweeps thousands of such buffers. Copies up to `MAX_SLAB_COPY` bytes are instead
 * views into a 16 KiB slab shared with the copies made just before and after them — the
 * scheme of Node's Buffer pool, but private to troupe's bytes, so a kept event pins at
 * most its own slab and nothing foreign. Larger copies get a buffer of their own.
 */

const SLAB_BYTES = 16 * 1024;
const MAX_SLAB_COPY = 2 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A copy of `bytes` that owns its bytes (no view into `bytes`' buffer). */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > MAX_SLAB_COPY) return new Uint8Array(bytes);
  if (used + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + n);
  copy.set(bytes);
  used += n;
  return copy;
}
