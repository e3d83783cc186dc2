/**
 * Loading what a store holds for a node's start: the committed clock, the peers'
 * acknowledged clocks and whether each was durable, the newest `ts`, whether the actors
 * wait for a rebuild, the interest with its skipped and to-refill seqs, and the
 * retirements (`StoredState`); and where the retained log starts and how many bytes it
 * holds. Stores written before `meta/ts` or `meta/bytes` existed have those counted from
 * the log itself, once; retirements stored before clocks were folded get the records that
 * fold them from the log's retirement events, once (`legacy-retirements.ts`).
 */
import { unfoldRetired, type RetiringEvents } from '../protocol/clock-folding.js';
import { decodeEvent, decodeValue } from '../protocol/codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import { withRecordsFromLog } from './legacy-retirements.js';
import { retiringOf, type StoredRetirements } from './retirements.js';
import type { Ranges } from './skips.js';
import type { StoreDb } from './store-db.js';
import { LOG_BYTES_KEY, LOG_FIRST_KEY, RETIRED_KEY } from './store-keys.js';
import type { StoredState } from './stored-records.js';

/** A store written before `meta/ts` existed: its newest events stand in for it. */
const TS_FALLBACK_EVENTS = 1024;

/** What `loadState` reads: the state the node starts from, and the retained log's first position and bytes. */
export interface LoadedState {
  readonly state: StoredState;
  /** The first position retained (`meta/first`). */
  readonly first: number;
  /** Bytes of events retained (`meta/bytes`). */
  readonly bytes: number;
  /** The retirements stored, by retired origin: what stored clocks are read back with (`clock-folding.ts`). */
  readonly retiring: RetiringEvents;
  /**
   * Retirements stored without their records, with those read from the log
   * (`legacy-retirements.ts`): to be stored, with every `ack/` folded against them, in
   * one batch (`Store.load`), so that no stored clock is read back against retirements it
   * was not folded with.
   */
  readonly rebuilt?: StoredRetirements;
}

/** Reads the committed clock and acknowledged clocks (no actor: those are read when needed, see `Store.actors`). */
export async function loadState(db: StoreDb): Promise<LoadedState> {
  const retiredBytes = await db.get(RETIRED_KEY);
  const stored = retiredBytes === undefined ? undefined : (decodeValue(retiredBytes) as StoredRetirements);
  const storedRetiring = retiringOf(stored);
  // Stored without the retired origins it reads back (`Store.commit`).
  const vcBytes = await db.get('meta/vc');
  const vc = vcBytes === undefined ? {} : unfoldRetired(decodeValue(vcBytes) as VectorClock, storedRetiring);
  const acks = new Map<string, VectorClock>();
  for await (const [key, value] of db.iterator({ gt: 'ack/', lt: 'ack0' })) {
    // Stored without the entries it reads back exactly (`Store.commit`); one stored before folding has them all.
    acks.set(key.slice(4), unfoldRetired(decodeValue(value) as VectorClock, storedRetiring));
  }
  const rebuilt = stored === undefined ? undefined : await withRecordsFromLog(db, stored);
  const retired = rebuilt ?? stored;
  const retiring = rebuilt === undefined ? storedRetiring : retiringOf(rebuilt);
  const durability = new Map<string, boolean>();
  for await (const [key, value] of db.iterator({ gt: 'dur/', lt: 'dur0' })) durability.set(key.slice(4), decodeValue(value) === true);
  const tsBytes = await db.get('meta/ts');
  const lastTs = tsBytes === undefined ? await newestTs(db) : (decodeValue(tsBytes) as number);
  const held = (await db.get('meta/held')) !== undefined;
  const firstBytes = await db.get(LOG_FIRST_KEY);
  const first = firstBytes === undefined ? 1 : (decodeValue(firstBytes) as number);
  const bytes = await db.get(LOG_BYTES_KEY);
  const logBytes = bytes === undefined ? await countLogBytes(db) : (decodeValue(bytes) as number);
  const interestBytes = await db.get('meta/interest');
  const interest = {
    ...(interestBytes === undefined ? {} : { interest: decodeValue(interestBytes) as string[] }),
    skips: await rangesUnder(db, 'skip/'),
    refill: await rangesUnder(db, 'refill/'),
    asked: await rangesUnder(db, 'lost/'),
  };
  const state = { vc, acks, durability, lastTs, held, interest, ...(retired === undefined ? {} : { retired }) };
  return { state, first, bytes: logBytes, retiring, ...(rebuilt === undefined ? {} : { rebuilt }) };
}

/** The seq ranges per origin stored under `prefix` (`skip/`, `refill/`, `lost/`). */
async function rangesUnder(db: StoreDb, prefix: string): Promise<Map<string, Ranges>> {
  const out = new Map<string, Ranges>();
  const end = prefix.slice(0, -1) + '0';
  for await (const [key, value] of db.iterator({ gt: prefix, lt: end })) out.set(key.slice(prefix.length), decodeValue(value) as Ranges);
  return out;
}

/** Bytes of the retained events, counted once for a store written before `meta/bytes`. */
async function countLogBytes(db: StoreDb): Promise<number> {
  let n = 0;
  for await (const bytes of db.values({ gt: 'pos/', lt: 'pos0' })) n += bytes.length;
  return n;
}

/** The newest `ts` among the last events logged (0 for an empty log). */
async function newestTs(db: StoreDb): Promise<number> {
  let newest = 0;
  for await (const bytes of db.values({ gt: 'pos/', lt: 'pos0', reverse: true, limit: TS_FALLBACK_EVENTS })) {
    try {
      newest = Math.max(newest, decodeEvent(bytes).ts);
    } catch {
      // An event an older version let in that today's rules refuse: it says nothing here.
    }
  }
  return newest;
}
