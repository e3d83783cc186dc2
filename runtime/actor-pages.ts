/**
 * `GET /actors`: the node's actors a page at a time, in record order, whether they are in
 * memory or passivated, with the count of actors per service and state. A page reads
 * records from disk (showing an actor in memory as it is now, and a record of an older
 * machine version migrated) and never brings an actor back into memory; the counts come from the persisted summary, not from the records.
 * Filtered by state, a page looks at a bounded number of records and may come back
 * short with a cursor to go on from.
 */
import type { ActorCounts, ActorRecords } from './actor-records.js';
import type { ActorView } from './actor-views.js';
import type { Host } from './host.js';
import { stateLabel } from './state-label.js';

/** The most actors one page holds. */
export const MAX_ACTOR_PAGE = 10_000;

/** How many records a page looks at for each actor it may hold, when filtering by state. */
const SCAN_PER_ACTOR = 10;

/** What a page asks for. */
export interface ActorQuery {
  /** Only this service's actors. */
  readonly service?: string;
  /** Only actors in this state, as labelled in the counts (`'a.b'` for a nested state). */
  readonly state?: string;
  /** At most this many actors; 0 answers the counts alone. */
  readonly limit: number;
  /** The `next` cursor of the page before. */
  readonly after?: string;
}

/** One page of `GET /actors`. */
export interface ActorPage {
  readonly actors: ActorView[];
  /** The cursor of the next page (`?after=`), or `null` when this page reached the end. */
  readonly next: string | null;
  /** Actors per service and state, every actor counted (in memory or not). */
  readonly counts: ActorCounts;
  /** How many actors are in memory now; the rest are passivated. */
  readonly live: number;
}

/** One page of the actors of `host`, read from `records`. */
export async function actorPage(host: Host, records: ActorRecords, query: ActorQuery): Promise<ActorPage> {
  const counts = host.counts();
  const live = host.actors.size;
  if (query.limit === 0) return { actors: [], next: query.after ?? null, counts, live };
  const state = query.state;
  const page = await records.page({
    service: query.service,
    after: query.after,
    limit: query.limit,
    scan: state === undefined ? query.limit : query.limit * SCAN_PER_ACTOR,
    keep: state === undefined ? undefined : (record) => stateLabel(host.actors.recordView(record).state) === state,
  });
  const actors = page.records.map((record) => host.view(record.service, record.key) ?? host.actors.recordView(record));
  return { actors, next: page.next, counts, live };
}
