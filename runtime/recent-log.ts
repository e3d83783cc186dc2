/**
 * The tail of the committed log, kept in memory so that pushing live events to peers
 * and answering `/log` for recent positions never touches LevelDB. Older positions are
 * read from the store.
 */
import type { StoredEvent } from './store.js';

/** A bounded in-memory window over the newest committed events. */
export class RecentLog {
  private entries: StoredEvent[] = [];
  private readonly capacity: number;

  /** Keeps at least the newest `capacity` events. */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** The first position held in memory (the next position to be committed when empty). */
  get start(): number {
    return this.entries.length === 0 ? this.end : this.entries[0].pos;
  }

  /** The position after the newest committed event. */
  end = 1;

  /** Appends newly committed events (positions consecutive from `end`). */
  append(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) this.entries.push(e);
    this.end = events[events.length - 1].pos + 1;
    // Trim in chunks so appends stay O(1) amortised.
    if (this.entries.length > 2 * this.capacity) this.entries = this.entries.slice(this.entries.length - this.capacity);
  }

  /** Starts the window at `end` (after loading a store whose tail is not in memory). */
  reset(end: number): void {
    this.entries = [];
    this.end = end;
  }

  /** Up to `limit` events from position `from`, or `undefined` if `from` is older than the window. */
  slice(from: number, limit: number): readonly StoredEvent[] | undefined {
    if (from < this.start) return undefined;
    const i = from - this.start;
    return this.entries.slice(i, i + limit);
  }
}
