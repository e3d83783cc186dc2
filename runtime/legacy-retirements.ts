/**
 * Retirements stored before clocks were folded (issue 17): their `meta/retired` record
 * names each retired origin with its final seq, but not the retirements that retired it
 * (`by`), without which no clock may leave the origin out (`protocol/clock-folding.ts`
 * reads a missing entry back from those). The retirement events themselves are in the log,
 * unless retention removed them: a start that finds such origins reads the log once for
 * `troupe.retired` events and takes from each what `Retirements.learn` took when it was
 * delivered, so those origins fold like any other.
 *
 * It is exact: the log holds exactly the events the node delivered, and each is read by
 * the rule it was learned by (an origin the event's own clock does not count through its
 * final seq is not taken). An origin whose retirement is no longer in the log gets an empty
 * list, so the log is read once, not at every start, and that origin stays in every clock.
 */
import { decodeEvent, eventHeaderAndType } from '../protocol/event-codec.js';
import { parseRetirement, RETIRED_TYPE } from '../protocol/retirement.js';
import type { StoredRetirements } from './retirements.js';
import type { StoreDb } from './store-db.js';

/** The retired origins of `stored` that name no retirement of them (`by`). */
export function originsWithoutRecords(stored: StoredRetirements): string[] {
  return Object.keys(stored.origins).filter((origin) => stored.by?.[origin] === undefined);
}

/**
 * `stored` with a `by` list for every retired origin it lacks one for, read from the
 * retirement events in `db`'s log; `undefined` when none lacks one (nothing to read).
 */
export async function withRecordsFromLog(db: StoreDb, stored: StoredRetirements): Promise<StoredRetirements | undefined> {
  const missing = new Set(originsWithoutRecords(stored));
  if (missing.size === 0) return undefined;
  const found = new Map<string, (readonly [string, number, number])[]>([...missing].map((origin) => [origin, []]));
  for await (const bytes of db.values({ gt: 'pos/', lt: 'pos0' })) {
    let envelope;
    try {
      if (eventHeaderAndType(bytes).type !== RETIRED_TYPE) continue;
      envelope = decodeEvent(bytes);
    } catch {
      continue; // an event an older version let in that today's rules refuse: it retired nothing then either
    }
    let origins;
    try {
      origins = parseRetirement(envelope.data).origins;
    } catch {
      continue; // learned as nothing when delivered (`Retirements.learn`)
    }
    for (const [origin, final] of Object.entries(origins)) {
      const list = found.get(origin);
      if (list === undefined || origin === envelope.origin || (envelope.vc[origin] ?? 0) < final) continue;
      if (!list.some(([by, seq]) => by === envelope.origin && seq === envelope.seq)) list.push([envelope.origin, envelope.seq, final]);
    }
  }
  return { ...stored, by: { ...stored.by, ...Object.fromEntries(found) } };
}
