/**
 * A store on a full disk, for real: LevelDB on a small tmpfs this test mounts itself
 * (skipped where mounting is refused). A commit that fails for lack of space leaves
 * nothing behind, is written again once space is freed, and what is written after it
 * survives a restart (LevelDB loses writes appended behind a torn log record unless the
 * store is opened again first: `runtime/store-db.ts`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import t from 'tap';
import type { PreparedBatch } from '../runtime/batch-preparation.js';
import { BatchWriter } from '../runtime/batch-writer.js';
import { DiskGuard } from '../runtime/disk-guard.js';
import { FabricObservers } from '../runtime/fabric-observers.js';
import type { LogQueries } from '../runtime/log-queries.js';
import { RecentLog } from '../runtime/recent-log.js';
import type { Replication } from '../runtime/replication.js';
import { Store } from '../runtime/store.js';
import { SimulatedTime } from '../testing/simulated-time.js';
import { waitFor } from './helpers/wait-for.js';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });

async function mountTmpfs(): Promise<{ dir: string } | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-store-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
    return { dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Writes `file` until not one more byte fits. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  for (let size = chunk.length; size >= 1; ) {
    try {
      await handle.write(chunk.subarray(0, size));
    } catch {
      size = Math.floor(size / 2);
    }
  }
  await handle.close();
}

/** A batch of one event `seq` of n1, with a 64 KiB payload so that it cannot fit a full disk. */
function batchOf(seq: number): PreparedBatch {
  const bytes = new Uint8Array(64 * 1024).fill(seq);
  const events = [{ pos: seq, origin: 'n1', seq, correlationId: `n1:${seq}`, bytes }];
  return { commit: { events, vcBefore: { n1: seq - 1 }, vc: { n1: seq }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() }, delivered: [], published: [], replayed: [], ignored: [] };
}

const mounted = await mountTmpfs();

t.test('a commit that fails on a full disk is written again once space is freed, and every later write survives a restart', { skip: 'skip' in mounted ? mounted.skip : false }, async (t) => {
  if (!('dir' in mounted)) return;
  const { dir } = mounted;
  t.teardown(async () => {
    await run('umount', ['-l', dir]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const data = join(dir, 'db');
  const store = await Store.open(data, 'n1');
  const time = new SimulatedTime(0);
  // No reserve: the write itself meets the full disk.
  const disk = new DiskGuard({ dir, reserveBytes: 0, clock: time, log: silent, onRoom: () => {} });
  const recent = new RecentLog(100);
  recent.reset(1);
  const replication = { scheduleAcks: () => {}, pushAll: () => {} } as unknown as Replication;
  const writer = new BatchWriter({ store, log: silent, recent, replication, queries: { committed: () => {} } as unknown as LogQueries, observers: new FabricObservers(silent), disk, vc: {} });
  await writer.write(batchOf(1));

  const filler = join(dir, 'filler');
  await fill(filler);
  const writing = writer.write(batchOf(2));
  t.ok(await waitFor(() => disk.full, { message: 'the write to fail for lack of space', timeout: 10_000, interval: 5 }), 'the write fails and the guard knows the disk is full');
  t.same(writer.committed, { n1: 1 }, 'the clock stays at what is on disk');
  t.same((await store.readFrom(1, 10)).map((e) => e.pos), [1], 'nothing of the failed batch is in the store');

  await unlink(filler);
  // The guard looks again on the simulated clock; each look measures the disk for real.
  await waitFor(() => !disk.full || (time.fireNext(), false), { message: 'the guard to see room again', timeout: 10_000, interval: 10 });
  await writing;
  t.same(writer.committed, { n1: 2 }, 'the held batch is written once there is room');
  await writer.write(batchOf(3));
  await store.close();

  const reopened = await Store.open(data, 'n1');
  t.teardown(() => reopened.close());
  t.same((await reopened.readFrom(1, 10)).map((e) => e.pos), [1, 2, 3], 'after a restart every acknowledged write is there');
  t.same((await reopened.load()).vc, { n1: 3 });
});
