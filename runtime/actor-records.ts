/**
 * The actors on disk: their records (`actor/`), the index of when each one's earliest
 * timer is due (`due/`), and the count of actors per service and state (`meta/actors`).
 *
 * A node keeps in memory only the actors that moved lately (`passivation.ts`); the rest
 * are these records. The host reads one record synchronously when an event or a timer
 * needs its actor (LevelDB's `getSync`, a lookup in its caches or one read), so delivery
 * stays synchronous. The index and the counts are written in the same atomic commit as
 * the records they describe (`writeActorIndex`), so they never disagree with them: start-up
 * reads the due index, not every record, and `/actors` counts without reading records.
 */
import type { Level } from 'level';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { ACTOR_COUNTS_KEY, actorKey, dueBound, dueKey } from './store-keys.js';
import type { ActorRecord } from './store.js';

/** Actors per service, then per state label (`state-label.ts`). */
export type ActorCounts = Record<string, Record<string, number>>;

/** One entry of the due index: the actor of `service` for `key` has a timer due at `due`. */
export interface DueEntry {
  readonly due: number;
  readonly service: string;
  readonly key: string;
}

/** What one commit changes in the actor index. */
export interface ActorIndexChanges {
  /** The whole count, when it changed. */
  readonly counts: ActorCounts | undefined;
  readonly dueAdded: readonly DueEntry[];
  readonly dueRemoved: readonly DueEntry[];
}

/** One page of actor records, in key order. */
export interface RecordPage {
  readonly records: ActorRecord[];
  /** Where the next page starts (pass as `after`), or `null` at the end. */
  readonly next: string | null;
}

type Db = Level<string, Uint8Array>;

/** Reads the actors a node has on disk. */
export class ActorRecords {
  /** The store's current handle: it changes when the store is reopened after a full disk. */
  private readonly handle: () => Db;

  constructor(handle: () => Db) {
    this.handle = handle;
  }

  private get db(): Db {
    return this.handle();
  }

  /** The record of the actor of `service` for `key`, read synchronously; `undefined` if it has none. */
  get(service: string, key: string): ActorRecord | undefined {
    const bytes = this.db.getSync(actorKey(service, key));
    return bytes === undefined ? undefined : (decodeValue(bytes) as ActorRecord);
  }

  /**
   * Up to `limit` records after the cursor `after` (of `service` only, if given) that
   * `keep` accepts, looking at no more than `scan` records: a page may come back short,
   * with a cursor to go on from.
   */
  async page(options: { service?: string; after?: string; limit: number; scan: number; keep?: (record: ActorRecord) => boolean }): Promise<RecordPage> {
    const prefix = options.service === undefined ? 'actor/' : `${actorKey(options.service, '')}`;
    const gt = options.after === undefined || `actor/${options.after}` < prefix ? prefix : `actor/${options.after}`;
    const records: ActorRecord[] = [];
    let scanned = 0;
    let last: string | null = null;
    for await (const [key, value] of this.db.iterator({ gt, lt: `${prefix}\uffff`, limit: options.scan })) {
      scanned++;
      last = key.slice('actor/'.length);
      const record = decodeValue(value) as ActorRecord;
      if (options.keep === undefined || options.keep(record)) records.push(record);
      if (records.length >= options.limit) break;
    }
    const more = last !== null && (records.length >= options.limit || scanned >= options.scan);
    return { records, next: more ? last : null };
  }

  /** The due-index entries due at or before `until` (ms), earliest first. */
  async dueBy(until: number): Promise<DueEntry[]> {
    const out: DueEntry[] = [];
    for await (const [key, value] of this.db.iterator({ gt: 'due/', lt: dueBound(until) })) {
      const [service, actor] = decodeValue(value) as [string, string];
      out.push({ due: parseInt(key.slice(4, 18), 16), service, key: actor });
    }
    return out;
  }

  /** When the earliest timer due after `after` (ms) is due, if any. */
  async nextDueAfter(after: number): Promise<number | undefined> {
    for await (const key of this.db.keys({ gte: dueBound(after), lt: 'due0', limit: 1 })) return parseInt(key.slice(4, 18), 16);
    return undefined;
  }

  /**
   * The persisted count of actors per service and state. A store written before the
   * count existed has none: it is built once from the records (with the due index) and
   * written, so later start-ups read no record.
   */
  async counts(indexOf: (record: ActorRecord) => IndexedAs): Promise<ActorCounts> {
    const bytes = await this.db.get(ACTOR_COUNTS_KEY);
    if (bytes !== undefined) return decodeValue(bytes) as ActorCounts;
    const counts: ActorCounts = {};
    const batch = this.db.batch();
    for await (const value of this.db.values({ gt: 'actor/', lt: 'actor0' })) {
      const record = decodeValue(value) as ActorRecord;
      const indexed = indexOf(record);
      const byState = (counts[record.service] ??= {});
      byState[indexed.label] = (byState[indexed.label] ?? 0) + 1;
      if (indexed.due !== undefined) batch.put(dueKey(indexed.due, record.service, record.key), encodeValue([record.service, record.key]));
    }
    batch.put(ACTOR_COUNTS_KEY, encodeValue(counts));
    await batch.write();
    return counts;
  }
}

/** What the index holds of one actor's record: its state label and its earliest timer's due time. */
export interface IndexedAs {
  readonly label: string;
  readonly due: number | undefined;
}

/** Adds one commit's index changes to a LevelDB batch (see `Store.commit`). */
export function writeActorIndex(b: ReturnType<Db['batch']>, changes: ActorIndexChanges | undefined): void {
  if (changes === undefined) return;
  for (const d of changes.dueRemoved) b.del(dueKey(d.due, d.service, d.key));
  for (const d of changes.dueAdded) b.put(dueKey(d.due, d.service, d.key), encodeValue([d.service, d.key]));
  if (changes.counts !== undefined) b.put(ACTOR_COUNTS_KEY, encodeValue(changes.counts));
}
