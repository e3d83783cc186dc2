/**
 * The actor index kept beside the records: how many actors each service has in each
 * state, and when each actor's earliest timer is due. The host changes it with every
 * batch of actor records, from what each actor was persisted as (`HostedActor.indexed`)
 * to what it is persisted as now; `Store.commit` writes both in the same LevelDB batch as
 * the records (`actor-records.ts`). The counts live in memory too: they are a few numbers
 * per service and state, whatever the number of actors.
 */
import type { ActorCounts, ActorIndexChanges, DueEntry, IndexedAs } from './actor-records.js';
import { stateLabel } from './state-label.js';
import type { ActorRecord } from './store.js';

/** What a persisted record shows in the index: its state label and earliest timer. */
export function indexOf(record: ActorRecord): IndexedAs {
  const snapshot = record.snapshot as { value?: unknown } | undefined;
  let due: number | undefined;
  for (const timer of record.timers) if (due === undefined || timer.due < due) due = timer.due;
  return { label: stateLabel(snapshot?.value), due };
}

/** Something persisted through the index: what it was last persisted as (`undefined`: never). */
export interface Indexed {
  indexed: IndexedAs | undefined;
}

/** The count of actors per service and state, and the index changes of the batch being built. */
export class ActorIndex {
  private readonly byService = new Map<string, Map<string, number>>();
  private countsChanged = false;
  private dueAdded: DueEntry[] = [];
  private dueRemoved: DueEntry[] = [];

  /** Starts from the persisted counts. */
  constructor(counts: ActorCounts = {}) {
    for (const [service, byState] of Object.entries(counts)) {
      this.byService.set(service, new Map(Object.entries(byState)));
    }
  }

  /** Actors per service and state, as committed plus the batch being built. */
  counts(): ActorCounts {
    const out: ActorCounts = {};
    for (const [service, byState] of this.byService) out[service] = Object.fromEntries(byState);
    return out;
  }

  /** How many actors there are in all. */
  get total(): number {
    let n = 0;
    for (const byState of this.byService.values()) for (const count of byState.values()) n += count;
    return n;
  }

  /** `actor` is about to be persisted as `record`: counts it, and moves its due entry if its earliest timer changed. */
  persisting(actor: Indexed, record: ActorRecord): void {
    const before = actor.indexed;
    const after = indexOf(record);
    actor.indexed = after;
    if (before?.label !== after.label) {
      if (before !== undefined) this.add(record.service, before.label, -1);
      this.add(record.service, after.label, 1);
      this.countsChanged = true;
    }
    if (before?.due !== after.due) {
      if (before?.due !== undefined) this.dueRemoved.push({ due: before.due, service: record.service, key: record.key });
      if (after.due !== undefined) this.dueAdded.push({ due: after.due, service: record.service, key: record.key });
    }
  }

  /** The changes of the batch being built, for its commit; starts over. */
  take(): ActorIndexChanges | undefined {
    if (!this.countsChanged && this.dueAdded.length === 0 && this.dueRemoved.length === 0) return undefined;
    const changes: ActorIndexChanges = { counts: this.countsChanged ? this.counts() : undefined, dueAdded: this.dueAdded, dueRemoved: this.dueRemoved };
    this.countsChanged = false;
    this.dueAdded = [];
    this.dueRemoved = [];
    return changes;
  }

  private add(service: string, label: string, n: number): void {
    let byState = this.byService.get(service);
    if (byState === undefined) this.byService.set(service, (byState = new Map()));
    const count = (byState.get(label) ?? 0) + n;
    if (count > 0) byState.set(label, count);
    else byState.delete(label);
  }
}
