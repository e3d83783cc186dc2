/**
 * Folding told and stored clocks: how a retired origin's entry leaves `want` and `ack` (issue 17),
 * and how the reader puts it back.
 *
 * A node knows, for each origin it saw retired, the retirement events that retired it
 * (`Retiring`: the event's origin and seq, and the final seq it names). A retirement R of
 * k is stamped with its stamper's full clock, which counts k through R's final seq
 * (`retirements.ts` takes an origin only then). So any clock C that is causally closed
 * (counts nothing without its dependencies, as every committed clock does) and counts R
 * counts k through R's final seq: `C[k] ≥ final(R)`.
 *
 * **Unfolding** (`unfoldRetired`) reads an entry k that a clock leaves out as the largest
 * final seq among the retirements of k the reader knows and the clock counts (0 if none),
 * resolving the entries of retirements' own origins the same way first. By the argument
 * above the value read is never above the writer's real entry: a reader may think the
 * writer has less than it has (and resend what the writer drops as duplicates), never
 * more (which could make it withhold an event).
 *
 * **Folding** (`foldRetired`, for clocks a node tells or stores) leaves k out only
 * where unfolding gives it back exactly: its entry equals the final seq of a retirement
 * that the clock counts and that the reader is known to have delivered (for the node's
 * own stored clocks: itself; on the wire: the peer's own told clock counts it). An entry
 * the writer lowered on purpose (a told clock below the committed one, to fetch seqs back)
 * is never left out.
 *
 * Entries of retirement origins are resolved before the origins they retire: a chain of
 * restarts (R₁ by start 2 retires start 1, R₂ by start 3 retires start 2 …) resolves in
 * one pass taken newest retirement first, and a further pass runs only while one changed
 * something. Retirements cannot depend on each other in a cycle: R's origin retired by R'
 * at a final counting R means R' happened after R.
 */
import type { VectorClock } from './envelope.js';

/** One retirement of an origin: the retiring event (`origin`, `seq`) and the final seq it names. */
export interface Retiring {
  readonly origin: string;
  readonly seq: number;
  readonly final: number;
}

/** Per retired origin, the retirements of it a node delivered, in the order it learned of them. */
export type RetiringEvents = ReadonlyMap<string, readonly Retiring[]>;

/** The entry of `k` in `vc`, 0 when missing (a non-number too: see `vector-clock.ts`). */
function at(vc: VectorClock, k: string): number {
  const n = vc[k];
  return typeof n === 'number' ? n : 0;
}

/** The largest final seq among `list` that `vc` counts (0 if none). */
function countedFinal(vc: VectorClock, list: readonly Retiring[]): number {
  let best = 0;
  for (const r of list) if (r.final > best && at(vc, r.origin) >= r.seq) best = r.final;
  return best;
}

/**
 * `vc` with each retired origin it leaves out read back: the largest final seq among the
 * retirements of it in `retired` that the clock counts. Entries present are kept as they
 * are. Returns `vc` itself when nothing is to read back.
 *
 * @example unfoldRetired({ 'a~2': 3 }, new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]]])) // { 'a~2': 3, 'a~1': 9 }
 */
export function unfoldRetired(vc: VectorClock, retired: RetiringEvents): VectorClock {
  if (retired.size === 0) return vc;
  const newestFirst = [...retired].reverse();
  let out: VectorClock | undefined;
  for (let changed = true; changed; ) {
    changed = false;
    for (const [k, list] of newestFirst) {
      if (Object.hasOwn(vc, k)) continue;
      const final = countedFinal(out ?? vc, list);
      if (final <= at(out ?? vc, k)) continue;
      out ??= { ...vc };
      out[k] = final;
      changed = true;
    }
  }
  return out ?? vc;
}

/**
 * `vc` without the entries a reader gets back by {@link unfoldRetired}: an entry of a retired
 * origin equal to the final seq of a retirement of it that `vc` counts and that `reader`
 * (the reader's own clock, as far as the writer knows it) counts too. `keep` is never
 * left out: entries the writer lowered on purpose, which a reader must not read back
 * higher. Returns `vc` itself when nothing is left out.
 *
 * Pass `reader` = `vc` for a clock the node keeps for itself (it has delivered what its
 * own clock counts).
 *
 * @example foldRetired({ 'a~1': 9, 'a~2': 3 }, new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]]]), { 'a~2': 1 }) // { 'a~2': 3 }
 */
export function foldRetired(vc: VectorClock, retired: RetiringEvents, reader: VectorClock, keep?: ReadonlySet<string>): VectorClock {
  if (retired.size === 0) return vc;
  let out: VectorClock | undefined;
  for (const [k, list] of retired) {
    const n = vc[k];
    if (typeof n !== 'number' || keep?.has(k) === true) continue;
    if (!list.some((r) => r.final === n && at(vc, r.origin) >= r.seq && at(reader, r.origin) >= r.seq)) continue;
    out ??= { ...vc };
    delete out[k];
  }
  return out ?? vc;
}

/**
 * `vc` as it reads back exactly through {@link unfoldRetired}, whatever `vc` is: an entry
 * of a retired origin is left out when it equals the largest final seq among the
 * retirements of it that `vc` counts (what a missing entry reads as), and written out as
 * 0 when `vc` has none of it but counts such a retirement. Unlike {@link foldRetired} this
 * needs no causal closure, so it is exact for a clock lowered on purpose (a peer's `want`
 * while it fetches seqs back). Counting is judged on `vc` as it is; the reader resolves
 * the same entries first (retirements do not depend on each other in a cycle), so it
 * judges alike.
 *
 * @example foldExact({ 'a~1': 9, 'a~2': 3 }, new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]]])) // { 'a~2': 3 }
 */
export function foldExact(vc: VectorClock, retired: RetiringEvents): VectorClock {
  if (retired.size === 0) return vc;
  let out: VectorClock | undefined;
  for (const [k, list] of retired) {
    const n = at(vc, k);
    const read = countedFinal(vc, list);
    if (read === 0 || (n !== read && n !== 0) || (n === 0 && vc[k] === 0)) continue;
    out ??= { ...vc };
    if (n === 0) out[k] = 0;
    else delete out[k];
  }
  return out ?? vc;
}
