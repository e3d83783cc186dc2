/**
 * Retirement: how an origin's clock entry stops being carried (issue 17).
 *
 * An origin stamps nothing more once its node started under a newer incarnation, or once
 * its node id was retired for good (`troupe forget`). A retirement is an ordinary event
 * of type `troupe.retired`, whose clock names in full each origin it retires and whose
 * data names each with its final seq (and, for a forgotten node, the node id):
 *
 *     { origins: { 'n1~V1StGX': 41, 'n1~Ab3dE_': 7 }, node?: 'n1' }
 *
 * The one rule (`foldClock`): a node that has delivered a retirement R leaves origin k out
 * of a clock it stamps when its own entry for k equals the final seq that R (or a later
 * retirement of k it delivered) names; a larger entry is written out as usual.
 *
 * Why receivers need nothing new: a clock without k was stamped by a node that had
 * delivered R, so it counts R, and R's own clock counts k through its final seq. A
 * receiver delivers nothing before its dependencies (CBCAST), so by the time it may
 * deliver the folded event it has delivered R and, before R, k through its final seq: a
 * folded clock admits an event exactly when the full one would (`vector-clock.ts`
 * `canDeliver` is unchanged). This holds for any receiver whose delivered clock is
 * causally closed: a new member, a wiped node recovering history, a partial node (it
 * always takes `troupe.retired`, and its skips arrive in its peers' causal order).
 * Since R is itself an event, it is logged, relayed and readable like any other; the
 * stored clocks of events stamped before R keep the entry.
 */
import { NODE_ID_PATTERN, type VectorClock } from './envelope.js';
import { isOrigin } from './origin.js';
import { TroupeError } from './troupe-error.js';

/** The event type of a retirement. */
export const RETIRED_TYPE = 'troupe.retired';

/** A retirement's data: each retired origin with its final seq, and a forgotten node id. */
export interface RetirementData {
  readonly origins: Readonly<Record<string, number>>;
  /** The node id retired for good (`troupe forget`): it is refused when it links again. */
  readonly node?: string;
}

/**
 * Reads a retirement's data as a peer sent it.
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` when it is not a map of origins to seqs.
 */
export function parseRetirement(data: unknown): RetirementData {
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_PROTOCOL_BAD_EVENT', `${RETIRED_TYPE}: ${why}`);
  if (typeof data !== 'object' || data === null) throw bad('data is not a map');
  const { origins, node } = data as { origins?: unknown; node?: unknown };
  if (typeof origins !== 'object' || origins === null || Array.isArray(origins)) throw bad('origins is not a map');
  const out: Record<string, number> = {};
  for (const [origin, final] of Object.entries(origins)) {
    if (!isOrigin(origin)) throw bad(`${JSON.stringify(origin)} is not an origin`);
    if (!Number.isSafeInteger(final) || (final as number) < 0) throw bad(`final seq of ${origin} is not a count`);
    out[origin] = final as number;
  }
  if (node !== undefined && (typeof node !== 'string' || !NODE_ID_PATTERN.test(node))) throw bad('node is not a node id');
  return node === undefined ? { origins: out } : { origins: out, node };
}

/**
 * The clock `delivered` as a node that has delivered retirements with these `finals`
 * (origin → the largest final seq named) stamps it: without each retired origin whose
 * entry is exactly its final seq. `keep` (the stamping origin) is never left out.
 *
 * @example foldClock({ 'a~1': 4, 'a~2': 9, b: 3 }, new Map([['a~1', 4]]), 'a~2') // { 'a~2': 9, b: 3 }
 */
export function foldClock(delivered: VectorClock, finals: ReadonlyMap<string, number>, keep: string): VectorClock {
  const out: VectorClock = {};
  for (const k in delivered) {
    const n = delivered[k];
    if (k !== keep && finals.get(k) === n) continue;
    out[k] = n;
  }
  return out;
}
