/**
 * The tail of the committed log, kept in memory so that pushing live events to peers
 * and answering `/log` for recent positions never touches LevelDB. Older positions are
 * read from the store. The tail is bounded in events and in bytes: with 1 MiB events a
 * count alone would hold gigabytes.
 */
import type { StoredEvent } from './store.js';

/** A bounded in-memory window over the newest committed events. */
export class RecentLog {
  /** The window is `entries[first..]`; trimmed entries before it are let go (`undefined`) at once. */
  private entries: (StoredEvent | undefined)[] = [];
  /** Index in `entries` of the first event in the window (trimmed lazily, in chunks). */
  private first = 0;
  private readonly capacity: number;
  private readonly maxBytes: number;
  /** Bytes of the events in the window. */
  private held = 0;

  /**
   * Keeps at least the newest `capacity` events, unless they weigh more than `maxBytes`
   * together; then the newest that fit (always the newest one). [maxBytes default unbounded]
   */
  constructor(capacity: number, maxBytes = Infinity) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  /** The first position held in memory (the next position to be committed when empty). */
  get start(): number {
    return this.first >= this.entries.length ? this.end : (this.entries[this.first] as StoredEvent).pos;
  }

  /** The position after the newest committed event. */
  end = 1;

  /** Bytes of the events held. */
  get bytes(): number {
    return this.held;
  }

  /** Appends newly committed events (positions consecutive from `end`). */
  append(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      this.entries.push(e);
      this.held += e.bytes.length;
    }
    this.end = events[events.length - 1].pos + 1;
    while (this.held > this.maxBytes && this.entries.length - this.first > 1) this.dropFirst();
    // Trim by count in chunks, and compact, so appends stay O(1) amortised.
    if (this.entries.length - this.first > 2 * this.capacity) {
      while (this.entries.length - this.first > this.capacity) this.dropFirst();
    }
    if (this.first > 0 && this.first >= this.entries.length - this.first) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }

  private dropFirst(): void {
    this.held -= (this.entries[this.first] as StoredEvent).bytes.length;
    this.entries[this.first] = undefined;
    this.first++;
  }

  /** Starts the window at `end` (after loading a store whose tail is not in memory). */
  reset(end: number): void {
    this.entries = [];
    this.first = 0;
    this.held = 0;
    this.end = end;
  }

  /** Up to `limit` events from position `from`, or `undefined` if `from` is older than the window. */
  slice(from: number, limit: number): readonly StoredEvent[] | undefined {
    if (from < this.start) return undefined;
    const i = this.first + (from - this.start);
    return this.entries.slice(i, i + limit) as StoredEvent[];
  }
}
