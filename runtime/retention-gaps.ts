/**
 * Retention gaps: what a serving node tells a peer it cannot send (a `lost` frame).
 *
 * When a peer's clock lacks events this node's log no longer holds, the retained events
 * it is sent next may depend on them: without a word it would hold them in its causal
 * buffer for ever. So the node tells it, per origin, the seqs it lacks that this node
 * cannot send: those retention removed (up to the clock before the first retained
 * position, `clk/<first>`, which is the causally consistent point the retained log
 * starts from), and, on a node that relays, those it counts without holding because it
 * lost them itself the same way (its skipped seqs), so a gap is told on, never passed on
 * silently. The peer then fetches them from a node that still holds them, or counts them
 * as lost (`lost-events.ts`).
 *
 * These are facts about this node's log, not about relaying: a log only ever loses its
 * oldest entries, so a gap once told stays true. Seqs it counted as lost on a claim it
 * could not confirm, and still asks for itself, it names as `asked` too (`askedWithin`),
 * so that the peer does not take its word for them either.
 */
import type { VectorClock } from '../protocol/envelope.js';
import type { SkipRange } from '../protocol/frame.js';
import type { Ranges, SkipRanges } from './skips.js';

/** What {@link gapsFor} needs to know. */
export interface GapQuery {
  /** The clock before the first retained position: what retention removed (`{}` when the peer is not behind it). */
  readonly removed: VectorClock;
  /** Seqs this node counts without holding (lost before), per origin; none on a partial node, whose skips are its interest. */
  readonly held: Iterable<readonly [string, Ranges]>;
  /** What the peer has (its `want`, or what it acknowledged since). */
  readonly acked: VectorClock;
  /** The origin the peer stamps under now: it has all of those. */
  readonly peerOrigin?: string;
  /** Whether this node sends the peer events of `origin` at all (a partial node sends only its own node's). */
  readonly sends: (origin: string) => boolean;
}

/** The parts of `gaps` that lie in `asked` (seqs counted lost that this node still asks for), in the order of `gaps`. */
export function askedWithin(gaps: readonly SkipRange[], asked: SkipRanges): SkipRange[] {
  return gaps.flatMap((g) => asked.within(g.origin, g.from, g.to).map(([from, to]) => ({ origin: g.origin, from, to })));
}

/** The seq ranges the peer lacks that this node cannot send, sorted by origin then seq. */
export function gapsFor(q: GapQuery): SkipRange[] {
  const out: SkipRange[] = [];
  const told = (origin: string): boolean => origin !== q.peerOrigin && q.sends(origin);
  for (const origin of Object.keys(q.removed).sort()) {
    const from = (q.acked[origin] ?? 0) + 1;
    if (told(origin) && q.removed[origin] >= from) out.push({ origin, from, to: q.removed[origin] });
  }
  for (const [origin, ranges] of q.held) {
    if (!told(origin)) continue;
    // Below what retention removed, the range above says it already.
    const below = Math.max(q.acked[origin] ?? 0, q.removed[origin] ?? 0);
    for (const [a, b] of ranges) if (b > below) out.push({ origin, from: Math.max(a, below + 1), to: b });
  }
  return out.sort((x, y) => (x.origin === y.origin ? x.from - y.from : x.origin < y.origin ? -1 : 1));
}
