/**
 * The node's LevelDB: one database per node, everything the node must not forget.
 *
 * Its key layout (`pos/`, `clk/`, `meta/`, `ack/`, `actor/`, `due/`, `dlq/`, `corr/`) is in `store-keys.ts`;
 * the actors' records and their index are read through `actor-records.ts`. What a start
 * loads is read by `load-state.ts`; what retention reads and removes, by whole commits,
 * by `logged-commits.ts`.
 *
 * A workflow's first event has no `corr/` entry: its correlation id is its own id
 * (`origin:seq`), which locates it in the log by itself (see `CommitClocks.positionOf`).
 * Events that start workflows thus cost one write each, not two; events that continue
 * one, and events given a correlation id of their own, are indexed.
 *
 * `pos/` is the log itself, because the hot reads (anti-entropy, `/log`) scan in
 * delivery order. Since every delivery advances the clock by one, `n` equals the sum of
 * the clock right after the event was delivered. `clk/` is a sparse index, one entry per
 * commit: a peer at clock `vc` has everything before the last commit whose starting
 * clock `vc` dominates, so sending to it starts there. (A per-event `log/<origin>/<seq>`
 * index would answer the same question exactly, for one more write per event on the hot
 * path; the sparse one costs one write per commit and a short scan when a peer connects.)
 *
 * Everything one group of deliveries changes goes in one `batch()`: the events, the new
 * clock, the actors' snapshots, dead letters and acknowledged clocks, fsync'd unless the
 * node runs relaxed. A crash therefore leaves the store at the end of some batch.
 */
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { showEvent } from '../protocol/shown-event.js';
import { foldExact, foldRetired, type RetiringEvents } from '../protocol/clock-folding.js';
import { wholeClock } from '../protocol/clock-floor.js';
import { eventId, parseEventId, type EncodedEvent, type VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { compactKeys, openStoreDb, reopenStoreDb, type StoreDb } from './store-db.js';
import { ActorRecords, writeActorIndex } from './actor-records.js';
import { CommitClocks } from './commit-clocks.js';
import { loadState } from './load-state.js';
import { readCommits, removeCommits } from './logged-commits.js';
import type { StoredRetirements } from './retirements.js';
import type { CommitBatch, DeadLetter, LoggedCommit, StoredState } from './stored-records.js';
import { actorKey, clockKey, corrPrefix, dlqKey, hex, LOG_BYTES_KEY, posKey, proofKey, RETIRED_KEY } from './store-keys.js';

export type { StoredEvent, PendingTimer, ActorRecord, DeadLetter, CommitBatch, StoredProof, LoggedEntry, LoggedCommit, StoredState } from './stored-records.js';

const EMPTY = new Uint8Array(0);
/** Bytes of events one read of the log takes from LevelDB at a time (`readFrom`). */
const READ_BYTES = 1024 * 1024;

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** fsync every commit. [default true] */
  readonly sync?: boolean;
}

/** One node's LevelDB. */
export class Store {
  private db: StoreDb;
  private readonly dir: string;
  private readonly sync: boolean;
  /** The actors on disk: records, due index, counts. */
  readonly actors: ActorRecords;
  /** The clock index: where a peer at a clock resumes, where an event sits (`commit-clocks.ts`). */
  readonly clocks: CommitClocks;

  /** The first position retained (`meta/first`): compaction removed those before it. */
  private first = 1;
  /** Bytes of events retained (`meta/bytes`). */
  private bytes = 0;
  /** The retirements delivered: `meta/vc` and `clk/` are stored without what they read back (`clock-folding.ts`). */
  private retiring: RetiringEvents = new Map();

  private constructor(db: StoreDb, dir: string, sync: boolean) {
    this.db = db;
    this.dir = dir;
    this.sync = sync;
    this.actors = new ActorRecords(() => this.db);
    this.clocks = new CommitClocks(() => this.db, (from, limit) => this.readFrom(from, limit), () => this.retiring);
  }

  /**
   * Opens (creating if needed) the store in `dir` for node `nodeId`. A directory that
   * belongs to another node id is refused: reusing it would corrupt both identities.
   */
  static async open(dir: string, nodeId: string, options: StoreOptions = {}): Promise<Store> {
    const db = await openStoreDb(dir);
    const store = new Store(db, dir, options.sync ?? true);
    const owner = await db.get('meta/node');
    if (owner === undefined) {
      await db.put('meta/node', encodeValue(nodeId), { sync: store.sync });
    } else if (decodeValue(owner) !== nodeId) {
      await db.close();
      throw new TroupeError('TROUPE_STORE_FAILED', `${dir} holds node ${String(decodeValue(owner))}, not ${nodeId}`);
    }
    return store;
  }

  /** Reads the committed clock and acknowledged clocks (no actor: those are read when needed, see `actors`). */
  async load(): Promise<StoredState> {
    const { state, first, bytes, retiring, rebuilt } = await loadState(this.db);
    this.first = first;
    this.bytes = bytes;
    this.retiring = retiring;
    if (rebuilt !== undefined) {
      const b = this.db.batch();
      this.putRetirements(b, rebuilt, state.acks);
      await b.write({ sync: this.sync });
    }
    return state;
  }

  /**
   * From now on, folds the clocks it stores and reads them back with `retiring`, the
   * retirements the node delivers (live): a clock leaves out only the retired origins
   * whose retirement it counts itself, which the same batch or an earlier one wrote.
   */
  foldClocksWith(retiring: RetiringEvents): void {
    this.retiring = retiring;
  }

  /** `vc`, the node's own clock, as stored: without the retired origins it reads back. */
  private folded(vc: VectorClock): VectorClock {
    const whole = wholeClock(vc);
    return foldRetired(whole, this.retiring, whole);
  }

  /**
   * A peer's acknowledged clock as stored (`ack/`): without the entries it reads back
   * exactly (`foldExact`: it may have been lowered on purpose, so `foldRetired`'s closure
   * argument does not hold). Every `ack/` is written again with a batch that changes
   * `meta/retired`, so none is read back against retirements it was not folded with.
   */
  private foldedAck(vc: VectorClock): VectorClock {
    return foldExact(wholeClock(vc), this.retiring);
  }

  /**
   * Puts in `b` the retirements `retired`, if they changed, and the acknowledged clocks
   * `acks` folded against the retirements held (`retiring`); a change of the retirements
   * comes with every peer's, so none is read back against retirements it was not folded with.
   */
  private putRetirements(b: ReturnType<StoreDb['batch']>, retired: StoredRetirements | undefined, acks: ReadonlyMap<string, VectorClock>): void {
    if (retired !== undefined) b.put(RETIRED_KEY, encodeValue(retired));
    for (const [peer, vc] of acks) b.put(`ack/${peer}`, encodeValue(this.foldedAck(vc)));
  }

  /** The first position the log retains (1 until compaction removed some). */
  get logStart(): number {
    return this.first;
  }

  /** Bytes of the events the log retains. */
  get logBytes(): number {
    return this.bytes;
  }

  /** Writes one commit atomically; resolves once it is on disk. */
  async commit(batch: CommitBatch): Promise<void> {
    // A chained batch: abstract-level's array form clones and re-validates every
    // operation, which cost several times the write itself on the hot path.
    const b = this.db.batch();
    if (batch.events.length > 0) b.put(clockKey(batch.events[0].pos), encodeValue(this.folded(batch.vcBefore)));
    let added = 0;
    for (const e of batch.events) {
      b.put(posKey(e.pos), e.bytes);
      added += e.bytes.length;
      if (e.correlationId !== eventId(e.origin, e.seq)) b.put(corrPrefix(e.correlationId) + hex(e.pos), EMPTY);
    }
    // The count in memory moves once the batch is written (a failed one is written again).
    // A compaction's batch may be in flight meanwhile and land in either order: on disk
    // `meta/bytes` can then be off by one batch's bytes, which only shifts a byte policy.
    if (added > 0) b.put(LOG_BYTES_KEY, encodeValue(this.bytes + added));
    b.put('meta/vc', encodeValue(this.folded(batch.vc)));
    if (batch.lastTs !== undefined) b.put('meta/ts', encodeValue(batch.lastTs));
    for (const p of batch.proofs ?? []) b.put(proofKey(p.origin, p.last), p.bytes);
    if (batch.held === true) b.put('meta/held', EMPTY);
    else if (batch.held === false) b.del('meta/held');
    for (const a of batch.actors) b.put(actorKey(a.service, a.key), encodeValue(a));
    writeActorIndex(b, batch.index);
    for (const d of batch.deadLetters) b.put(dlqKey(d.service, d.eventId), encodeValue(d));
    for (const d of batch.removedDeadLetters) b.del(dlqKey(d.service, d.eventId));
    this.putRetirements(b, batch.retired, batch.acks);
    for (const [peer, durable] of batch.durability ?? []) b.put(`dur/${peer}`, encodeValue(durable));
    const interest = batch.interest;
    if (interest !== undefined) {
      for (const [prefix, changed] of [['skip/', interest.skips], ['refill/', interest.refill], ['lost/', interest.asked ?? new Map()]] as const) {
        for (const [origin, ranges] of changed) {
          if (ranges.length === 0) b.del(prefix + origin);
          else b.put(prefix + origin, encodeValue(ranges));
        }
      }
      if (interest.interest !== undefined) b.put('meta/interest', encodeValue(interest.interest));
    }
    try {
      await b.write({ sync: this.sync });
    } catch (cause) {
      throw new TroupeError('TROUPE_STORE_FAILED', `commit failed: ${(cause as Error).message}`, { cause });
    }
    this.bytes += added;
  }

  /**
   * Whole commits from the first retained position on, holding `maxEvents` events or
   * more (a commit is never split), as long as the log reaches: `end` is the first
   * position not committed yet.
   */
  async readCommits(maxEvents: number, end: number): Promise<LoggedCommit[]> {
    return readCommits(this.db, this.first, maxEvents, end);
  }

  /**
   * Removes the leading retained commits `commits` from the log, its indexes and the
   * origin checkpoints of their events, in one batch; the log then starts at `first` (a
   * commit's start, whose `clk/` entry stays: it is the clock a peer must have to lack
   * nothing removed).
   */
  async removeCommits(commits: readonly LoggedCommit[], first: number): Promise<void> {
    const removed = await removeCommits(this.db, commits, first, () => this.bytes, this.sync);
    this.bytes = Math.max(0, this.bytes - removed);
    this.first = first;
  }

  /** Frees on disk the space of log entries removed from positions `from` to `to` (their events and `clk/` entries). */
  async reclaim(from: number, to: number): Promise<void> {
    try {
      await compactKeys(this.db, posKey(from), posKey(to));
      await compactKeys(this.db, clockKey(from), clockKey(to));
    } catch (cause) {
      throw new TroupeError('TROUPE_STORE_FAILED', `compacting removed log entries failed: ${(cause as Error).message}`, { cause });
    }
  }

  /** Up to `limit` committed events from position `from` on, in delivery order; fewer once past `maxBytes`. */
  async readFrom(from: number, limit: number, maxBytes = Infinity): Promise<{ pos: number; bytes: EncodedEvent }[]> {
    const out: { pos: number; bytes: EncodedEvent }[] = [];
    // `nextv` in reads of up to READ_BYTES: one turn of the event loop each, where `for await`
    // took one per cache fill of 16 KiB, each a long wait on a node busy committing.
    const it = this.db.iterator({ gte: posKey(Math.max(1, from)), lt: 'pos0', limit, highWaterMarkBytes: READ_BYTES });
    let bytes = 0;
    try {
      while (out.length < limit && bytes <= maxBytes) {
        const entries = await it.nextv(limit - out.length);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          out.push({ pos: parseInt(key.slice(4), 16), bytes: value });
          bytes += value.length;
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }

  /** The positions of one workflow's events, in delivery order. */
  async positionsOfWorkflow(correlationId: string, limit: number): Promise<number[]> {
    const prefix = corrPrefix(correlationId);
    const out: number[] = [];
    for await (const key of this.db.keys({ gt: prefix, lt: `${prefix}~`, limit })) out.push(parseInt(key.slice(prefix.length), 16));
    const first = await this.firstOfWorkflow(correlationId);
    // Stores written before first events went unindexed hold an entry for it as well.
    if (first === undefined || out.includes(first)) return out;
    const i = out.findIndex((pos) => pos > first);
    if (i < 0) out.push(first);
    else out.splice(i, 0, first);
    return out.slice(0, limit);
  }

  /** The position of the event a correlation id names, if that event started the workflow. */
  private async firstOfWorkflow(correlationId: string): Promise<number | undefined> {
    const id = parseEventId(correlationId);
    if (id === undefined) return undefined;
    const pos = await this.clocks.positionOf(id.origin, id.seq);
    if (pos === undefined) return undefined;
    const bytes = await this.db.get(posKey(pos));
    // Shown, not decoded: an event an older build stored, which the decoder refuses, must not fail the trace.
    return bytes !== undefined && showEvent(bytes).correlationId === correlationId ? pos : undefined;
  }

  /** The stored checkpoint of `origin` that lists `seq`, if any: the first whose last seq is at or above it. */
  async proofCovering(origin: string, seq: number): Promise<Uint8Array | undefined> {
    for await (const bytes of this.db.values({ gte: proofKey(origin, seq), lt: `prf/${origin}/~`, limit: 1 })) return bytes;
    return undefined;
  }

  /** The committed events at the given positions (`undefined` where none). */
  async eventsAt(positions: readonly number[]): Promise<(EncodedEvent | undefined)[]> {
    return positions.length === 0 ? [] : this.db.getMany(positions.map(posKey));
  }

  /** The committed event at position `pos`, if any. */
  async eventAt(pos: number): Promise<EncodedEvent | undefined> {
    return this.db.get(posKey(pos));
  }

  /** Every dead letter, by service then event id. */
  async deadLetters(): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const value of this.db.values({ gt: 'dlq/', lt: 'dlq0' })) out.push(decodeValue(value) as DeadLetter);
    return out;
  }

  /** One dead letter, if present. */
  async deadLetter(service: string, eventId: string): Promise<DeadLetter | undefined> {
    const value = await this.db.get(dlqKey(service, eventId));
    return value === undefined ? undefined : (decodeValue(value) as DeadLetter);
  }

  /** Opens the database again after a failed write (see `store-db.ts`); fails while the disk is still full. */
  async reopen(): Promise<void> {
    this.db = await reopenStoreDb(this.db, this.dir);
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.db.close();
  }
}
