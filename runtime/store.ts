/**
 * The node's LevelDB: one database per node, everything the node must not forget.
 *
 * Layout (string keys; numbers are fixed-width hex so that keys sort numerically):
 *
 * | key                         | value                                            |
 * | --------------------------- | ------------------------------------------------ |
 * | `pos/<n>`                   | the encoded event delivered n-th here (n from 1) |
 * | `log/<origin>/<seq>`        | n: where event origin:seq sits in `pos/`         |
 * | `meta/vc`                   | the committed vector clock                       |
 * | `meta/node`                 | the node id this database belongs to             |
 * | `ack/<peer>`                | the clock that peer last acknowledged            |
 * | `actor/<service>/<key>`     | an actor's persisted snapshot and pending timers |
 * | `dlq/<service>/<eventId>`   | a dead letter                                    |
 * | `corr/<correlationId>/<n>`  | empty: the events of one workflow, for `/trace`   |
 *
 * `pos/` holds the bytes because the hot reads (anti-entropy, `/log`) scan in delivery
 * order; `log/` is the index that answers "where does origin's event seq sit" when a
 * peer's clock says what it lacks. Since every delivery advances the clock by one,
 * `n` equals the sum of the clock right after the event was delivered.
 *
 * Everything one group of deliveries changes goes in one `batch()`: the events, the new
 * clock, the actors' snapshots, dead letters and acknowledged clocks, fsync'd unless the
 * node runs relaxed. A crash therefore leaves the store at the end of some batch.
 */
import { Level } from 'level';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** An event as committed: its place in the local delivery order and its bytes. */
export interface StoredEvent {
  readonly pos: number;
  readonly origin: string;
  readonly seq: number;
  readonly correlationId: string;
  readonly bytes: EncodedEvent;
}

/** A timer an actor had pending when its snapshot was taken. */
export interface PendingTimer {
  readonly id: string;
  readonly event: unknown;
  /** Wall-clock ms at which it fires. */
  readonly due: number;
}

/** What the host persists for one actor. */
export interface ActorRecord {
  readonly service: string;
  /** The entity key; `''` for a singleton. */
  readonly key: string;
  readonly snapshot: unknown;
  readonly timers: readonly PendingTimer[];
  /** The last event the actor handled, so that what its timers emit keeps the workflow's ids. */
  readonly cause: { readonly id: string; readonly correlationId: string } | null;
}

/** A dead letter: an event a service failed on. */
export interface DeadLetter {
  readonly service: string;
  readonly key: string;
  readonly eventId: string;
  readonly pos: number;
  readonly error: { readonly code: string; readonly message: string };
  readonly at: number;
}

/** Everything one commit writes. */
export interface CommitBatch {
  readonly events: readonly StoredEvent[];
  readonly vc: VectorClock;
  readonly actors: readonly ActorRecord[];
  readonly deadLetters: readonly DeadLetter[];
  readonly removedDeadLetters: readonly { readonly service: string; readonly eventId: string }[];
  readonly acks: ReadonlyMap<string, VectorClock>;
}

/** What a node finds on disk when it starts. */
export interface StoredState {
  readonly vc: VectorClock;
  readonly acks: Map<string, VectorClock>;
  readonly actors: ActorRecord[];
}

const hex = (n: number): string => n.toString(16).padStart(14, '0');
const posKey = (n: number): string => `pos/${hex(n)}`;
const logKey = (origin: string, seq: number): string => `log/${origin}/${hex(seq)}`;
const actorKey = (service: string, key: string): string => `actor/${service}/${key}`;
const dlqKey = (service: string, eventId: string): string => `dlq/${service}/${eventId}`;
const corrPrefix = (correlationId: string): string => `corr/${encodeURIComponent(correlationId)}/`;
const EMPTY = new Uint8Array(0);

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** fsync every commit. [default true] */
  readonly sync?: boolean;
}

/** One node's LevelDB. */
export class Store {
  private readonly db: Level<string, Uint8Array>;
  private readonly sync: boolean;

  private constructor(db: Level<string, Uint8Array>, sync: boolean) {
    this.db = db;
    this.sync = sync;
  }

  /**
   * Opens (creating if needed) the store in `dir` for node `nodeId`. A directory that
   * belongs to another node id is refused: reusing it would corrupt both identities.
   */
  static async open(dir: string, nodeId: string, options: StoreOptions = {}): Promise<Store> {
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (cause) {
      throw new TroupeError('TROUPE_STORE_FAILED', `cannot open the store in ${dir}: ${(cause as Error).message}`, { cause });
    }
    const store = new Store(db, options.sync ?? true);
    const owner = await db.get('meta/node');
    if (owner === undefined) {
      await db.put('meta/node', encodeValue(nodeId), { sync: store.sync });
    } else if (decodeValue(owner) !== nodeId) {
      await db.close();
      throw new TroupeError('TROUPE_STORE_FAILED', `${dir} holds node ${String(decodeValue(owner))}, not ${nodeId}`);
    }
    return store;
  }

  /** Reads the committed clock, acknowledged clocks and actor records. */
  async load(): Promise<StoredState> {
    const vcBytes = await this.db.get('meta/vc');
    const vc = vcBytes === undefined ? {} : (decodeValue(vcBytes) as VectorClock);
    const acks = new Map<string, VectorClock>();
    for await (const [key, value] of this.db.iterator({ gt: 'ack/', lt: 'ack0' })) {
      acks.set(key.slice(4), decodeValue(value) as VectorClock);
    }
    const actors: ActorRecord[] = [];
    for await (const value of this.db.values({ gt: 'actor/', lt: 'actor0' })) {
      actors.push(decodeValue(value) as ActorRecord);
    }
    return { vc, acks, actors };
  }

  /** Writes one commit atomically; resolves once it is on disk. */
  async commit(batch: CommitBatch): Promise<void> {
    const ops: Array<{ type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }> = [];
    for (const e of batch.events) {
      ops.push({ type: 'put', key: posKey(e.pos), value: e.bytes });
      ops.push({ type: 'put', key: logKey(e.origin, e.seq), value: encodeValue(e.pos) });
      ops.push({ type: 'put', key: corrPrefix(e.correlationId) + hex(e.pos), value: EMPTY });
    }
    ops.push({ type: 'put', key: 'meta/vc', value: encodeValue(batch.vc) });
    for (const a of batch.actors) ops.push({ type: 'put', key: actorKey(a.service, a.key), value: encodeValue(a) });
    for (const d of batch.deadLetters) ops.push({ type: 'put', key: dlqKey(d.service, d.eventId), value: encodeValue(d) });
    for (const d of batch.removedDeadLetters) ops.push({ type: 'del', key: dlqKey(d.service, d.eventId) });
    for (const [peer, vc] of batch.acks) ops.push({ type: 'put', key: `ack/${peer}`, value: encodeValue(vc) });
    try {
      await this.db.batch(ops, { sync: this.sync });
    } catch (cause) {
      throw new TroupeError('TROUPE_STORE_FAILED', `commit failed: ${(cause as Error).message}`, { cause });
    }
  }

  /** Up to `limit` committed events from position `from` on, in delivery order. */
  async readFrom(from: number, limit: number): Promise<{ pos: number; bytes: EncodedEvent }[]> {
    const out: { pos: number; bytes: EncodedEvent }[] = [];
    for await (const [key, bytes] of this.db.iterator({ gte: posKey(Math.max(1, from)), lt: 'pos0', limit })) {
      out.push({ pos: parseInt(key.slice(4), 16), bytes });
    }
    return out;
  }

  /** The positions of the given events (`undefined` where not stored). */
  async positionsOf(ids: readonly { origin: string; seq: number }[]): Promise<(number | undefined)[]> {
    if (ids.length === 0) return [];
    const values = await this.db.getMany(ids.map((e) => logKey(e.origin, e.seq)));
    return values.map((v) => (v === undefined ? undefined : (decodeValue(v) as number)));
  }

  /** The positions of one workflow's events, in delivery order. */
  async positionsOfWorkflow(correlationId: string, limit: number): Promise<number[]> {
    const prefix = corrPrefix(correlationId);
    const out: number[] = [];
    for await (const key of this.db.keys({ gt: prefix, lt: `${prefix}~`, limit })) out.push(parseInt(key.slice(prefix.length), 16));
    return out;
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

  /** Closes the database. */
  async close(): Promise<void> {
    await this.db.close();
  }
}
