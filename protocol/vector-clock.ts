/**
 * Vector clocks: pure functions over plain `VectorClock` objects.
 *
 * A clock maps node id → how many of that node's events are counted; a missing entry is
 * 0, so `{ a: 2 }` and `{ a: 2, b: 0 }` are the same clock. Every function here reads
 * its arguments and returns a fresh value; none mutates an input.
 *
 * Causal delivery (CBCAST, Birman–Schiper–Stephenson): node j delivers event e from
 * origin i when `VC_j[i] = e.seq − 1` (it is the next event of i) and `e.vc[k] ≤ VC_j[k]`
 * for every k ≠ i (j has delivered everything i had delivered when it published e).
 * `canDeliver` runs for every event a node receives, so it allocates nothing and
 * iterates with `for…in`.
 *
 * Entries are read through `at`, which also treats a non-number as 0: node ids such as
 * `constructor` or `toString` are legal, and on a plain object a missing one would
 * otherwise read as a function inherited from `Object.prototype`.
 */
import type { VectorClock } from './envelope.js';

/** How two clocks relate: `before` means `a` happened before `b`. */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** What causal delivery needs of an event: who published it, its number, its clock. */
export interface CausalStamp {
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
}

/** The entry of `node` in `vc`, 0 when missing. */
function at(vc: VectorClock, node: string): number {
  const n = vc[node];
  return typeof n === 'number' ? n : 0;
}

/**
 * How clock `a` relates to clock `b`: `before` when a ≤ b everywhere and a ≠ b, `after`
 * when the reverse holds, `equal` when they agree everywhere, `concurrent` otherwise.
 *
 * @example compare({ a: 1 }, { a: 1, b: 2 }) // 'before'
 */
export function compare(a: VectorClock, b: VectorClock): ClockOrder {
  let less = false;
  let greater = false;
  for (const k in a) {
    const x = at(a, k);
    const y = at(b, k);
    if (x < y) less = true;
    else if (x > y) greater = true;
  }
  for (const k in b) {
    // Keys present in both were settled by the first loop; only b's extra keys matter.
    if (at(b, k) > at(a, k)) less = true;
  }
  if (less) return greater ? 'concurrent' : 'before';
  return greater ? 'after' : 'equal';
}

/** The pointwise maximum of `a` and `b`: the clock of a node that has seen both. */
export function merge(a: VectorClock, b: VectorClock): VectorClock {
  const out: VectorClock = {};
  for (const k in a) out[k] = at(a, k);
  for (const k in b) {
    const n = at(b, k);
    if (n > at(out, k)) out[k] = n;
  }
  return out;
}

/**
 * Whether `a ≥ b` everywhere, i.e. `a` has seen everything `b` has. Entries are
 * non-negative, so only `b`'s keys need checking.
 */
export function dominates(a: VectorClock, b: VectorClock): boolean {
  for (const k in b) {
    if (at(b, k) > at(a, k)) return false;
  }
  return true;
}

/** The total number of events a clock counts. */
export function sum(vc: VectorClock): number {
  let total = 0;
  for (const k in vc) total += at(vc, k);
  return total;
}

/**
 * The CBCAST condition: whether a node whose delivered clock is `local` may deliver
 * `event` now — it is the next event of its origin and everything it depends on is
 * already delivered. Allocates nothing; this runs for every received event.
 */
export function canDeliver(local: VectorClock, event: CausalStamp): boolean {
  const origin = event.origin;
  if (at(local, origin) !== event.seq - 1) return false;
  const vc = event.vc;
  for (const k in vc) {
    if (k !== origin && at(vc, k) > at(local, k)) return false;
  }
  return true;
}

/** Whether `local` already counts `event` (its seq is at or below local's entry for its origin). */
export function isDuplicate(local: VectorClock, event: { readonly origin: string; readonly seq: number }): boolean {
  return event.seq <= at(local, event.origin);
}

/**
 * How many events `local` counts that `other` does not: Σ over nodes of
 * max(0, local[o] − other[o]). With `other` a peer's acknowledged clock, this is the
 * depth of that peer's outbox.
 */
export function missingCount(local: VectorClock, other: VectorClock): number {
  let missing = 0;
  for (const k in local) {
    const gap = at(local, k) - at(other, k);
    if (gap > 0) missing += gap;
  }
  return missing;
}
