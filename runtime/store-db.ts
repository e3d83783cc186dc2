/**
 * The LevelDB handle under a `Store`: opening it, and opening it again after a write that
 * failed for lack of space.
 *
 * Why reopen: LevelDB appends each batch to its log file. A write cut short by a full disk
 * can leave a torn record at the log's end; the failed batch is not applied, but records
 * appended behind the torn one on the same handle are applied in memory and then lost at
 * the next open, when the log is replayed only up to the tear (seen on a full tmpfs:
 * writes acknowledged after the failure were gone after a restart). Reopening replays
 * the log up to the tear, writes what it holds to a table and starts a fresh log, so every
 * later write is durable again. Opening itself writes, so it fails while the disk is full.
 */
import { Level } from 'level';
import { TroupeError } from '../protocol/troupe-error.js';

/** The LevelDB of one store: string keys, byte values. */
export type StoreDb = Level<string, Uint8Array>;

/**
 * Opens (creating if needed) the LevelDB in `dir`.
 * @throws TroupeError `TROUPE_STORE_FAILED`, with LevelDB's error as its cause.
 */
export async function openStoreDb(dir: string): Promise<StoreDb> {
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (cause) {
    throw new TroupeError('TROUPE_STORE_FAILED', `cannot open the store in ${dir}: ${(cause as Error).message}`, { cause });
  }
  return db;
}

/**
 * Closes `db` (whatever state a failed write left it in) and opens `dir` again.
 * @throws TroupeError `TROUPE_STORE_FAILED` if it cannot be opened (the disk is still full).
 */
export async function reopenStoreDb(db: StoreDb, dir: string): Promise<StoreDb> {
  try {
    await db.close();
  } catch {
    // Closed already, or failed to open last time: a fresh handle is opened either way.
  }
  return openStoreDb(dir);
}

/**
 * Has LevelDB compact the keys from `start` to `end` now, so the space of the deleted ones
 * is freed at once rather than when its own compaction comes to their files, which on a
 * log trimmed at its head may be never. `level` runs on classic-level in Node, which has
 * `compactRange`; its type does not say so.
 */
export async function compactKeys(db: StoreDb, start: string, end: string): Promise<void> {
  const { compactRange } = db as unknown as { compactRange?: (this: StoreDb, start: string, end: string) => Promise<void> };
  if (compactRange !== undefined) await compactRange.call(db, start, end);
}
