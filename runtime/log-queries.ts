/**
 * The read side of the log: pages of committed events (`/log`), one workflow's causal
 * history (`/trace`), and waiting for the log to grow (`/log?wait=`). It only reads:
 * the in-memory tail first, LevelDB for older positions.
 *
 * Below what the log retains (`log-compaction.ts`), a read answers `TROUPE_LOG_COMPACTED`
 * with the first retained position rather than a page that silently starts later; so does
 * the trace of a workflow whose first event (its correlation id is that event's id) was
 * removed. A workflow named by an id of its own has no such landmark: its trace lists what
 * is retained.
 */
import { copyOf } from '../protocol/byte-slabs.js';
import { eventHeaderAndType } from '../protocol/event-codec.js';
import type { Envelope } from '../protocol/envelope.js';
import { parseEventId } from '../protocol/envelope.js';
import { showEvent, type ShownEvent } from '../protocol/shown-event.js';
import type { Clock } from './clock.js';
import { LogCompactedError } from './log-compaction.js';
import type { OutgoingEvent } from './outbox.js';
import type { RecentLog } from './recent-log.js';
import type { PeerOutbox } from './replication.js';
import type { DeadLetter, Store } from './store.js';

/** An event as `/log` shows it; one a strict decoder refuses (an older build stored it) is marked `unshowable`. */
export interface LogEntry extends ShownEvent {
  readonly pos: number;
}

/** One workflow as `/trace` shows it: where each event is, and what is still waiting. */
export interface Trace {
  readonly correlationId: string;
  /** Committed here, in local delivery order (causal). */
  readonly events: LogEntry[];
  /** Arrived here but waiting in the causal buffer for their dependencies. */
  readonly buffered: Envelope[];
  /** Per peer, the ids of this workflow's events the peer has not acknowledged. */
  readonly outboxes: PeerOutbox[];
  /** Services of this node that failed on an event of this workflow. */
  readonly deadLetters: DeadLetter[];
  /** When `events` stopped at the byte budget: the last position given, to go on from (`?after=`). */
  readonly next?: number;
}

/** How many of a workflow's events `/trace` reads from disk at a time, checking its byte budget between reads. */
const TRACE_CHUNK = 16;

/** Queries over one node's log. */
export class LogQueries {
  private readonly store: Store;
  private readonly recent: RecentLog;
  private readonly clock: Clock;
  private readonly pageBytes: number;
  private readonly heldBack: () => Envelope[];
  private readonly outboxes: (events: readonly Envelope[]) => PeerOutbox[];
  private waiters: (() => void)[] = [];

  constructor(args: {
    store: Store;
    recent: RecentLog;
    clock: Clock;
    /** A `/log` page and a `/trace` answer stop at this many bytes of events (at least one event). */
    pageBytes: number;
    /** Events waiting in the causal buffer, oldest first. */
    heldBack: () => Envelope[];
    /** Per peer, which of `events` it has not acknowledged. */
    outboxes: (events: readonly Envelope[]) => PeerOutbox[];
  }) {
    this.store = args.store;
    this.recent = args.recent;
    this.clock = args.clock;
    this.pageBytes = args.pageBytes;
    this.heldBack = args.heldBack;
    this.outboxes = args.outboxes;
  }

  /** Up to `limit` committed events from position `from`, in local delivery order. */
  async read(from: number, limit: number): Promise<LogEntry[]> {
    const start = Math.max(1, from);
    const first = this.store.logStart;
    if (start < first) throw new LogCompactedError(first, `position ${start}`);
    const tail = this.recent.slice(start, limit);
    const stored = tail ?? (await this.readStored(start, limit));
    const out: LogEntry[] = [];
    let bytes = 0;
    for (const e of stored) {
      // A page stops at a byte budget too (at least one event): events may be 1 MiB each.
      if (out.length > 0 && bytes + e.bytes.length > this.pageBytes) break;
      bytes += e.bytes.length;
      out.push({ pos: e.pos, ...showEvent(e.bytes) });
    }
    return out;
  }

  /**
   * The causal history of one workflow as this node knows it (its events after position
   * `after`, up to the byte budget), and what of it is still waiting.
   */
  async trace(correlationId: string, limit = 10_000, after = 0): Promise<Trace> {
    await this.checkRetained(correlationId);
    const positions = (await this.store.positionsOfWorkflow(correlationId, limit)).filter((pos) => pos > after);
    const events: LogEntry[] = [];
    let bytes = 0;
    let next: number | undefined;
    read: for (let i = 0; i < positions.length; i += TRACE_CHUNK) {
      const chunk = positions.slice(i, i + TRACE_CHUNK);
      const stored = await this.store.eventsAt(chunk);
      for (let j = 0; j < chunk.length; j++) {
        const event = stored[j];
        if (event === undefined) continue;
        if (events.length > 0 && bytes + event.length > this.pageBytes) {
          next = events[events.length - 1].pos;
          break read;
        }
        bytes += event.length;
        events.push({ pos: chunk[j], ...showEvent(event) });
      }
    }
    const buffered = this.heldBack().filter((e) => e.correlationId === correlationId);
    const outboxes = this.outboxes(events);
    const ids = new Set(events.map((e) => e.id));
    const deadLetters = (await this.store.deadLetters()).filter((d) => ids.has(d.eventId));
    return next === undefined ? { correlationId, events, buffered, outboxes, deadLetters } : { correlationId, events, buffered, outboxes, deadLetters, next };
  }

  /** Fails if the workflow began with an event (its id is the correlation id) that retention removed. */
  private async checkRetained(correlationId: string): Promise<void> {
    const first = this.store.logStart;
    if (first === 1) return;
    const id = parseEventId(correlationId);
    if (id === undefined) return;
    const removed = await this.store.clocks.clockBefore(first);
    if (removed !== undefined && id.seq <= (removed[id.origin] ?? 0)) throw new LogCompactedError(first, `the start of workflow ${correlationId}`);
  }

  /** Up to `limit` logged events from `from` that are older than the in-memory tail, from disk (stopping once past `maxBytes`). */
  async readStored(from: number, limit: number, maxBytes?: number): Promise<OutgoingEvent[]> {
    const count = Math.min(limit, this.recent.start - from);
    if (count <= 0) return [];
    const rows = await this.store.readFrom(from, count, maxBytes);
    // With its type: the outboxes read it of every event for partial peers. A literal, not a
    // spread: a catch-up reads a hundred thousand of these, and kept blocks hold them. The
    // bytes are copied into shared slabs: LevelDB gives each value a buffer of its own, and
    // kept blocks would otherwise pin thousands of small native allocations.
    return rows.map((r) => {
      const { origin, seq, type } = eventHeaderAndType(r.bytes);
      return { pos: r.pos, origin, seq, type, bytes: copyOf(r.bytes) };
    });
  }

  /** Resolves when the log reaches position `pos` or after `ms`, whichever is first. */
  waitFor(pos: number, ms: number): Promise<void> {
    if (this.recent.end > pos || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  /** A batch was committed: wakes everyone waiting for the log to grow. */
  committed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
