/**
 * The log by whole commits, as retention reads and removes it (`log-compaction.ts`): the
 * leading retained commits with a header of each event, and their removal in one batch
 * with their indexes (`clk/`, `corr/`) and the origin checkpoints (`prf/`) that list only
 * removed events. A commit is never split: its `clk/` entry says what a peer must have.
 */
import { decodeEvent, encodeValue, eventHeader } from '../protocol/codec.js';
import { eventId, type EncodedEvent } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { StoreDb } from './store-db.js';
import { clockKey, corrPrefix, hex, LOG_BYTES_KEY, LOG_FIRST_KEY, posKey, proofKey } from './store-keys.js';
import type { LoggedCommit, LoggedEntry } from './stored-records.js';

/**
 * Whole commits from the first retained position `first` on, holding `maxEvents` events
 * or more (a commit is never split), as long as the log reaches: `end` is the first
 * position not committed yet.
 */
export async function readCommits(db: StoreDb, first: number, maxEvents: number, end: number): Promise<LoggedCommit[]> {
  const starts: number[] = [];
  let bound = end;
  for await (const key of db.keys({ gte: clockKey(first), lt: clockKey(end) })) {
    const start = parseInt(key.slice(4), 16);
    if (starts.length > 0 && start - starts[0] >= maxEvents) {
      bound = start;
      break;
    }
    starts.push(start);
  }
  if (starts.length === 0) return [];
  const commits: { start: number; entries: LoggedEntry[] }[] = [];
  let next = 0;
  for await (const [key, bytes] of db.iterator({ gte: posKey(starts[0]), lt: posKey(bound) })) {
    const pos = parseInt(key.slice(4), 16);
    while (next < starts.length && starts[next] <= pos) commits.push({ start: starts[next++], entries: [] });
    commits[commits.length - 1].entries.push({ pos, bytes: bytes.length, ...loggedHeader(bytes) });
  }
  return commits.filter((c) => c.entries.length > 0);
}

/**
 * Removes the leading retained commits `commits` from the log, its indexes and the
 * origin checkpoints of their events, in one batch; the log then starts at `first` (a
 * commit's start, whose `clk/` entry stays: it is the clock a peer must have to lack
 * nothing removed). `bytes` reads the bytes retained now. Resolves with the bytes removed.
 * @throws TroupeError `TROUPE_STORE_FAILED` if the batch cannot be written.
 */
export async function removeCommits(db: StoreDb, commits: readonly LoggedCommit[], first: number, bytes: () => number, sync: boolean): Promise<number> {
  const b = db.batch();
  let removed = 0;
  const newestRemoved = new Map<string, number>();
  for (const c of commits) {
    b.del(clockKey(c.start));
    for (const e of c.entries) {
      b.del(posKey(e.pos));
      removed += e.bytes;
      if (e.correlationId !== eventId(e.origin, e.seq)) b.del(corrPrefix(e.correlationId) + hex(e.pos));
      newestRemoved.set(e.origin, Math.max(newestRemoved.get(e.origin) ?? 0, e.seq));
    }
  }
  // An origin's events are logged in seq order, so what goes is a prefix of its seqs: a
  // checkpoint whose last seq is in it lists removed events only, and goes with them.
  for (const [origin, seq] of newestRemoved) {
    for await (const key of db.keys({ gt: `prf/${origin}/`, lte: proofKey(origin, seq) })) b.del(key);
  }
  b.put(LOG_FIRST_KEY, encodeValue(first));
  b.put(LOG_BYTES_KEY, encodeValue(Math.max(0, bytes() - removed)));
  try {
    await b.write({ sync });
  } catch (cause) {
    throw new TroupeError('TROUPE_STORE_FAILED', `compaction failed: ${(cause as Error).message}`, { cause });
  }
  return removed;
}

/** What compaction reads of a logged event; one an older version let in that today's rules refuse still goes, by its header. */
function loggedHeader(bytes: EncodedEvent): Omit<LoggedEntry, 'pos' | 'bytes'> {
  try {
    const e = decodeEvent(bytes);
    return { origin: e.origin, seq: e.seq, correlationId: e.correlationId, ts: e.ts };
  } catch {
    const { origin, seq } = eventHeader(bytes);
    return { origin, seq, correlationId: eventId(origin, seq), ts: 0 };
  }
}
