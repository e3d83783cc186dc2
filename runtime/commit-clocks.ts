/**
 * The log's sparse clock index (`clk/`): the clock before each commit, one entry per
 * commit. It answers where a peer at some clock must be sent from, and where an event
 * named by its origin and seq sits in the log, without a per-event index. Each clock is
 * stored without the retired origins it reads back (`protocol/clock-folding.ts`), and
 * read back whole here.
 */
import { unfoldRetired, type RetiringEvents } from '../protocol/clock-folding.js';
import { decodeValue, eventHeader } from '../protocol/codec.js';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import { dominates } from '../protocol/vector-clock.js';
import type { StoreDb } from './store-db.js';
import { clockKey } from './store-keys.js';

/** Reads up to `limit` logged events from position `from` on (`Store.readFrom`). */
export type ReadLog = (from: number, limit: number) => Promise<{ pos: number; bytes: EncodedEvent }[]>;

/** Queries over the clock before each commit. */
export class CommitClocks {
  private readonly db: () => StoreDb;
  private readonly readFrom: ReadLog;
  private readonly retiring: () => RetiringEvents;

  /** `db` is the store's database as it is now (the store may open it again); `retiring` reads stored clocks back whole. */
  constructor(db: () => StoreDb, readFrom: ReadLog, retiring: () => RetiringEvents) {
    this.db = db;
    this.readFrom = readFrom;
    this.retiring = retiring;
  }

  /** A stored clock, read back whole. */
  private read(value: Uint8Array): VectorClock {
    return unfoldRetired(decodeValue(value) as VectorClock, this.retiring());
  }

  /** The clock before position `first`, the start of a commit (`undefined` if none starts there). */
  async clockBefore(first: number): Promise<VectorClock | undefined> {
    const value = await this.db().get(clockKey(first));
    return value === undefined ? undefined : this.read(value);
  }

  /**
   * A position from which a node at clock `vc` lacks nothing earlier: the start of the
   * newest commit whose starting clock `vc` dominates (1 if none).
   */
  async firstPositionLacking(vc: VectorClock): Promise<number> {
    for await (const [key, value] of this.db().iterator({ gt: 'clk/', lt: 'clk0', reverse: true })) {
      if (dominates(vc, this.read(value))) return parseInt(key.slice(4), 16);
    }
    return 1;
  }

  /**
   * The position of event `seq` of `origin`, if logged. Every node delivers an origin's
   * events in seq order, so the clock before each commit (`clk/`) counts more of them the
   * later the commit: the event is in the last commit whose clock has fewer than `seq`,
   * found by a binary search over positions (one seek a step), then read through.
   */
  async positionOf(origin: string, seq: number): Promise<number | undefined> {
    const last = await this.commitAt(Number.MAX_SAFE_INTEGER);
    if (last === undefined) return undefined;
    // Whether the commit holding `pos` begins before the event (no commit yet: trivially).
    const beginsBefore = async (pos: number): Promise<boolean> => {
      const commit = await this.commitAt(pos);
      return commit === undefined || (commit.vcBefore[origin] ?? 0) < seq;
    };
    let lo = 0;
    let hi = last.start;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await beginsBefore(mid)) lo = mid;
      else hi = mid - 1;
    }
    const start = (await this.commitAt(lo))?.start;
    if (start === undefined) return undefined;
    const next = await this.commitAfter(start);
    for (let from = start; next === undefined || from < next; ) {
      const rows = await this.readFrom(from, Math.min(1024, next === undefined ? 1024 : next - from));
      if (rows.length === 0) return undefined;
      for (const row of rows) {
        const header = eventHeader(row.bytes);
        if (header.origin === origin && header.seq >= seq) return header.seq === seq ? row.pos : undefined;
      }
      from = rows[rows.length - 1].pos + 1;
    }
    return undefined;
  }

  /** The commit that holds position `pos` (the last to start at or before it). */
  private async commitAt(pos: number): Promise<{ start: number; vcBefore: VectorClock } | undefined> {
    for await (const [key, value] of this.db().iterator({ gt: 'clk/', lte: clockKey(pos), reverse: true, limit: 1 })) {
      return { start: parseInt(key.slice(4), 16), vcBefore: this.read(value) };
    }
    return undefined;
  }

  /** Where the commit after the one starting at `start` starts, if there is one. */
  private async commitAfter(start: number): Promise<number | undefined> {
    for await (const key of this.db().keys({ gt: clockKey(start), lt: 'clk0', limit: 1 })) return parseInt(key.slice(4), 16);
    return undefined;
  }
}
