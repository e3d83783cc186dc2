/**
 * Logged events read from disk for the outboxes, shared by every peer that needs them.
 *
 * Peers catching up walk the same stretch of the log at about the same time: at a gateway,
 * every device linked takes a reconnected device's backlog, as events or skip notices.
 * Each reading those positions out of LevelDB, and each reading every event's type to
 * tell whether it wants it, multiplied a catch-up's disk reads and decoding by the number
 * of peers. Reads go instead by blocks of consecutive positions (at most `blockEvents`
 * events or about `blockBytes` bytes), each read once, its events' types read once, and
 * kept while the newest blocks fit in a byte budget (at least one is kept). Each read is
 * a few turns of a busy event loop, so a peer reading a block whole has the next one read
 * meanwhile: walking the log, it finds it ready. Committed positions never change,
 * so a kept block never goes stale; a block cut short by the in-memory tail is not kept,
 * since positions after it are still to come off the tail.
 */
import { eventHeaderAndType } from '../protocol/event-codec.js';
import type { OutgoingEvent, ReadStored } from './outbox.js';

/** A logged event with its type read. */
export type TypedEvent = OutgoingEvent & { readonly type: string };

/** `e` with its type, read from its bytes unless the reader read it already. */
function typed(e: OutgoingEvent): TypedEvent {
  if (e.type !== undefined) return e as TypedEvent;
  return { pos: e.pos, origin: e.origin, seq: e.seq, bytes: e.bytes, type: eventHeaderAndType(e.bytes).type };
}

/** How blocks are read and kept. */
export interface LogBlocksOptions {
  /** Reads up to `limit` events from a position, from disk, stopping past `maxBytes`. */
  readonly readStored: ReadStored;
  /** The first position held in memory instead (nothing from it on is read ahead). */
  readonly tailStart: () => number;
  readonly blockEvents: number;
  readonly blockBytes: number;
  /** Event bytes of the blocks kept, beyond the newest one. */
  readonly maxBytes: number;
}

/** Reads logged events from disk by shared blocks. */
export class LogBlocks {
  private readonly blocks = new Map<number, Promise<TypedEvent[]>>();
  /** Each kept block's end (the position after its last event) and event bytes, oldest first. */
  private readonly kept = new Map<number, { end: number; bytes: number }>();
  private held = 0;

  constructor(private readonly options: LogBlocksOptions) {}

  /** Up to `limit` logged events from position `from` on, older than the in-memory tail. */
  async read(from: number, limit: number): Promise<TypedEvent[]> {
    const start = this.startOfBlockHolding(from);
    const block = await (this.blocks.get(start) ?? this.startLoading(start));
    // A peer reading a kept block goes on to the next: read it while this one is sent.
    const end = this.kept.get(start)?.end;
    if (end !== undefined) this.readAhead(end);
    // Log positions follow each other: the event at `from` is found by its offset.
    let i = from - (block[0]?.pos ?? from);
    if (block[i]?.pos !== from) i = block.findIndex((e) => e.pos >= from);
    return i < 0 ? [] : block.slice(i, i + limit);
  }

  /** The start of the kept block holding `from`, or else `from`. */
  private startOfBlockHolding(from: number): number {
    for (const [start, { end }] of this.kept) if (start <= from && from < end) return start;
    return from;
  }

  private startLoading(start: number): Promise<TypedEvent[]> {
    const loading = this.load(start);
    this.blocks.set(start, loading);
    return loading;
  }

  private async load(start: number): Promise<TypedEvent[]> {
    const { readStored, blockEvents, blockBytes } = this.options;
    let events: TypedEvent[];
    try {
      events = (await readStored(start, blockEvents, blockBytes)).map(typed);
    } catch (err) {
      this.blocks.delete(start);
      throw err;
    }
    const bytes = events.reduce((n, e) => n + e.bytes.length, 0);
    if (events.length === 0 || (events.length < blockEvents && bytes < blockBytes)) {
      this.blocks.delete(start);
      return events;
    }
    const end = events[events.length - 1].pos + 1;
    this.kept.set(start, { end, bytes });
    this.held += bytes;
    this.evict(start);
    return events;
  }

  /** Starts reading the block at `start`, unless it is in memory, read already or being read. */
  private readAhead(start: number): void {
    if (start >= this.options.tailStart() || this.blocks.has(start) || this.startOfBlockHolding(start) !== start) return;
    // Nobody awaits it yet: a failure is met again by the read that needs the block.
    this.startLoading(start).catch(() => undefined);
  }

  /** Lets go of the oldest blocks until the rest fit in the budget, keeping `newest`. */
  private evict(newest: number): void {
    for (const [start, { bytes }] of this.kept) {
      if (this.held <= this.options.maxBytes || start === newest) return;
      this.kept.delete(start);
      this.blocks.delete(start);
      this.held -= bytes;
    }
  }
}
