import t from 'tap';
import pino from 'pino';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { PreparedBatch } from '../runtime/batch-preparation.js';
import { BatchWriter } from '../runtime/batch-writer.js';
import { DiskGuard } from '../runtime/disk-guard.js';
import { FabricObservers, type CommitNotice } from '../runtime/fabric-observers.js';
import type { LogQueries } from '../runtime/log-queries.js';
import { RecentLog } from '../runtime/recent-log.js';
import type { Replication } from '../runtime/replication.js';
import type { CommitBatch, Store } from '../runtime/store.js';
import { SimulatedTime } from '../testing/simulated-time.js';

const silent = pino({ level: 'silent' });

/** A writer over a store whose commits wait until the test lets them land, with a record of what followed. */
function setup(log = silent) {
  const said: string[] = [];
  const commits: CommitBatch[] = [];
  let land: (() => void) | undefined;
  const store = {
    commit: (batch: CommitBatch) => {
      commits.push(batch);
      said.push('store');
      return new Promise<void>((resolve) => (land = resolve));
    },
  } as unknown as Store;
  const replication = { scheduleAcks: () => said.push('acks'), pushAll: () => said.push('push') } as unknown as Replication;
  const queries = { committed: () => said.push('queries') } as unknown as LogQueries;
  const observers = new FabricObservers(silent);
  const notices: CommitNotice[] = [];
  observers.add({ committed: (notice) => notices.push(notice) });
  const recent = new RecentLog(100);
  recent.reset(1);
  const disk = new DiskGuard({ reserveBytes: 0, clock: new SimulatedTime(0), log: silent, onRoom: () => {} });
  const writer = new BatchWriter({ store, log, recent, replication, queries, observers, disk, vc: {} });
  return { writer, said, commits, notices, recent, land: () => land?.() };
}

function batch(vc: VectorClock, events: number, more: Partial<PreparedBatch> = {}): PreparedBatch {
  const stored = Array.from({ length: events }, (_, i) => ({ pos: i + 1, origin: 'n1', seq: i + 1, correlationId: 'c', bytes: new Uint8Array([i]) }));
  const commit: CommitBatch = { events: stored as never, vcBefore: {}, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() };
  return { commit, delivered: [], published: [], replayed: [], ignored: [], ...more };
}

t.test('publishes resolve, peers are pushed and the clock moves only once the batch is on disk', async (t) => {
  const { writer, said, recent, land } = setup();
  const resolved: string[] = [];
  const envelope = { id: 'n1:1' } as Envelope;
  const writing = writer.write(
    batch({ n1: 1 }, 1, { published: [{ publish: { input: { type: 'T' }, resolve: (e) => resolved.push(e.id), reject: () => {} }, envelope }] }),
  );
  await Promise.resolve();
  t.same(said, ['store']);
  t.same(resolved, [], 'nothing is acknowledged while the write is in flight');
  t.same(writer.committed, {});
  land();
  await writing;
  t.same(said, ['store', 'acks', 'queries', 'push']);
  t.same(resolved, ['n1:1']);
  t.same(writer.committed, { n1: 1 });
  t.equal(recent.end, 2, 'the recent log took the event');
});

t.test('a batch with nothing to write skips the store and tells no observer', async (t) => {
  const { writer, said, notices } = setup();
  await writer.write(batch({}, 0));
  t.same(said, ['queries']);
  t.same(notices, []);
});

t.test('observers hear of delivered events, actors and dead letters with the write time', async (t) => {
  const { writer, notices, land } = setup();
  const delivered = [{ pos: 1, envelope: { id: 'n1:1', correlationId: 'c' } as Envelope }];
  const deadLetters = [{ service: 's', key: 'k', eventId: 'n1:1', pos: 1, error: { code: 'TROUPE_SERVICE_FAILED', message: 'boom' }, at: 0 }];
  const prepared = batch({ n1: 1 }, 1, { delivered });
  const writing = writer.write({ ...prepared, commit: { ...prepared.commit, deadLetters } });
  land();
  await writing;
  t.equal(notices.length, 1);
  t.same(notices[0].events, delivered);
  t.same(notices[0].deadLetters, deadLetters);
  t.ok(notices[0].writeMs >= 0);
});

t.test('an event handed to an ended actor is logged with its ids and told to observers', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const { writer, notices, land } = setup(pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }));
  const delivered = [{ pos: 1, envelope: { id: 'n1:1', correlationId: 'c1' } as Envelope }];
  const ignored = [{ service: 's', key: 'k', type: 'Late', eventId: 'n1:1', correlationId: 'c1', reason: 'actor-done' as const }];
  const writing = writer.write(batch({ n1: 1 }, 1, { delivered, ignored }));
  land();
  await writing;
  t.match(lines, [{ level: 40, service: 's', key: 'k', type: 'Late', event: 'n1:1', correlationId: 'c1', reason: 'actor-done', msg: /ignored/ }]);
  t.same(notices[0].ignored, ignored);
});

t.test('acks alone are written at the committed clock', async (t) => {
  const { writer, commits, land } = setup();
  const first = writer.write(batch({ n1: 3 }, 1));
  land();
  await first;
  const acks = new Map([['n2', { n1: 3 }]]);
  const writing = writer.writeAcks(acks);
  land();
  await writing;
  t.same(commits[1], { events: [], vcBefore: { n1: 3 }, vc: { n1: 3 }, actors: [], deadLetters: [], removedDeadLetters: [], acks });
});

t.test('a commit that fails for lack of space is held, written again once there is room, and only then acknowledged', async (t) => {
  const time = new SimulatedTime(0);
  let free = 0;
  let roomTold = 0;
  const disk = new DiskGuard({ dir: '/data', reserveBytes: 100, clock: time, log: silent, onRoom: () => roomTold++, freeSpace: async () => free });
  const attempts: CommitBatch[] = [];
  const calls: string[] = [];
  const store = {
    commit: async (b: CommitBatch) => {
      attempts.push(b);
      calls.push('commit');
      if (attempts.length === 1) throw new TroupeError('TROUPE_STORE_FAILED', 'commit failed: IO error: /data/000003.log: No space left on device');
    },
    reopen: async () => void calls.push('reopen'),
  } as unknown as Store;
  const replication = { scheduleAcks: () => {}, pushAll: () => {} } as unknown as Replication;
  const queries = { committed: () => {} } as unknown as LogQueries;
  const recent = new RecentLog(100);
  recent.reset(1);
  const writer = new BatchWriter({ store, log: silent, recent, replication, queries, observers: new FabricObservers(silent), disk, vc: {} });
  const resolved: string[] = [];
  const published = [{ publish: { input: { type: 'T' }, resolve: (e: Envelope) => resolved.push(e.id), reject: () => {} }, envelope: { id: 'n1:1' } as Envelope }];
  const writing = writer.write(batch({ n1: 1 }, 1, { published }));
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(disk.full, 'the guard knows the disk is full');
  t.same(resolved, [], 'the publish is not acknowledged');
  t.same(writer.committed, {}, 'the clock has not moved');
  t.ok(time.fireNext(), 'the guard looks again on the clock');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(attempts.length, 1, 'still no room: not written again');
  free = 1000;
  while (attempts.length < 2 && time.fireNext()) await new Promise((resolve) => setImmediate(resolve));
  await writing;
  t.equal(attempts.length, 2, 'written again once there is room');
  t.equal(attempts[1], attempts[0], 'the same batch, whole');
  t.same(calls, ['commit', 'reopen', 'commit'], 'on a store opened again first');
  t.same(resolved, ['n1:1'], 'the publish is acknowledged once written');
  t.same(writer.committed, { n1: 1 });
  t.equal(roomTold, 1, 'the guard told that space is back');
  t.notOk(disk.full);
});

t.test('a commit that fails for another reason still fails', async (t) => {
  const disk = new DiskGuard({ reserveBytes: 0, clock: new SimulatedTime(0), log: silent, onRoom: () => {} });
  const store = { commit: async () => { throw new TroupeError('TROUPE_STORE_FAILED', 'commit failed: Corruption: bad block'); } } as unknown as Store;
  const recent = new RecentLog(100);
  recent.reset(1);
  const writer = new BatchWriter({ store, log: silent, recent, replication: {} as Replication, queries: {} as LogQueries, observers: new FabricObservers(silent), disk, vc: {} });
  await t.rejects(writer.write(batch({ n1: 1 }, 1)), { code: 'TROUPE_STORE_FAILED' });
  t.notOk(disk.full);
});
