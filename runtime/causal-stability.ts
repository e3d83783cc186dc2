/**
 * Causal stability: which log entries every member has for good.
 *
 * A member is a node this node knows of as a peer (linked now, or known by the clock it
 * acknowledged before). An entry `(origin, seq)` is *stable* once every member's durable
 * acknowledged clock counts it: `seq ≤ min over members of acked[origin]`. Only a stable
 * entry may be removed by retention (`log-compaction.ts`); a member that lacks it would
 * otherwise never get it from this node.
 *
 * Only durable acknowledgements count. A peer running `--relaxed` acknowledges what it
 * wrote to LevelDB without fsync: that survives its process being killed, not its machine
 * losing power, after which it comes back with a lower clock. So a relaxed member (its
 * hello said `relaxed`), and a member whose hello this node has not heard since it
 * started (it cannot know how that member acknowledged), count as having nothing: they
 * hold every entry back, up to the hard cap.
 */
import { wholeClock } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';

/** A member as stability sees it. */
export interface Member {
  /** Its node id. */
  readonly id: string;
  /** The clock it last acknowledged. */
  readonly acked: VectorClock;
  /** Whether its acknowledgements are durable (told on a link whose hello did not say `relaxed`, or stored so: `dur/`). */
  readonly durable: boolean;
}

/**
 * The clock every member has durably: per origin, the least any member acknowledged
 * (0 where one did not). With no member, everything is stable: `null`.
 */
export function stableClock(members: Iterable<Member>): VectorClock | null {
  let stable: Record<string, number> | null = null;
  for (const m of members) {
    const acked = m.durable ? m.acked : {};
    if (stable === null) {
      stable = { ...wholeClock(acked) }; // every entry: a retired origin's may be on a floor (`clock-floor.ts`)
      continue;
    }
    for (const origin of Object.keys(stable)) {
      const n = Math.min(stable[origin], acked[origin] ?? 0);
      if (n === 0) delete stable[origin];
      else stable[origin] = n;
    }
  }
  return stable;
}

/** Whether event `seq` of `origin` is stable under `stable` (`null`: no member, all is). */
export function isStable(stable: VectorClock | null, origin: string, seq: number): boolean {
  return stable === null || seq <= (stable[origin] ?? 0);
}
