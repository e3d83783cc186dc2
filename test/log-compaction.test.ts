import t from 'tap';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeEvent } from '../protocol/codec.js';
import { eventId, type VectorClock } from '../protocol/envelope.js';
import type { Member } from '../runtime/causal-stability.js';
import type { Clock } from '../runtime/clock.js';
import { LogCompaction } from '../runtime/log-compaction.js';
import { LogQueries } from '../runtime/log-queries.js';
import { RecentLog } from '../runtime/recent-log.js';
import type { RetentionPolicy } from '../runtime/retention-policy.js';
import { Store, type StoredEvent } from '../runtime/store.js';

const silent = pino({ level: 'silent' });
const clock: Clock = { now: () => 1_000_000, setTimeout: () => undefined, clearTimeout: () => undefined };

/**
 * Commits `total` events of origins `a` and `b` in turn, `perCommit` a commit. Every third
 * event continues workflow `w` (a `corr/` entry), the others start their own.
 */
async function fill(store: Store, total: number, perCommit: number): Promise<{ clock: VectorClock; events: StoredEvent[] }> {
  const vc: Record<string, number> = {};
  const all: StoredEvent[] = [];
  for (let pos = 1; pos <= total; ) {
    const vcBefore = { ...vc };
    const events: StoredEvent[] = [];
    for (let i = 0; i < perCommit && pos <= total; i++, pos++) {
      const origin = pos % 2 === 0 ? 'a' : 'b';
      const seq = (vc[origin] = (vc[origin] ?? 0) + 1);
      const correlationId = pos % 3 === 0 ? 'w' : eventId(origin, seq);
      const bytes = encodeEvent({ type: 'T', data: pos, origin, seq, vc: { ...vc }, correlationId, causationId: null, ts: pos, schema: 1 });
      events.push({ pos, origin, seq, correlationId, bytes });
    }
    await store.commit({ events, vcBefore, vc: { ...vc }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
    all.push(...events);
  }
  return { clock: { ...vc }, events: all };
}

function compactionOf(store: Store, policy: RetentionPolicy, members: Member[], end: number): LogCompaction {
  return new LogCompaction({ store, policy, clock, log: silent, members: () => members, end: () => end });
}

function queriesOf(store: Store, end: number): LogQueries {
  const recent = new RecentLog(10);
  recent.reset(end);
  return new LogQueries({ store, recent, clock, pageBytes: 1 << 20, heldBack: () => [], outboxes: () => [] });
}

t.test('compaction removes whole old commits, their clock and workflow index entries, and reads below answer TROUPE_LOG_COMPACTED', async (t) => {
  const dir = t.testdir();
  const store = await Store.open(dir, 'n1');
  await store.load();
  const { clock: vc, events } = await fill(store, 100, 10);
  const bytes = events.reduce((n, e) => n + e.bytes.length, 0);
  t.equal(store.logBytes, bytes, 'the store counts the bytes it logs');
  const compaction = compactionOf(store, { maxEvents: 35 }, [{ id: 'm', acked: vc, durable: true }], 101);
  await compaction.pass();

  t.equal(store.logStart, 61, 'cut at a commit start, keeping at least 35 events');
  t.equal(compaction.removed, 60);
  t.equal(compaction.forced, 0);
  t.same((await store.readFrom(1, 1000)).map((r) => r.pos)[0], 61, 'the log now starts there');
  t.equal(await store.eventAt(60), undefined);
  const workflow = await store.positionsOfWorkflow('w', 1000);
  t.ok(workflow.length > 0 && workflow.every((pos) => pos >= 61), 'the workflow index keeps only retained positions');
  t.equal(await store.clocks.firstPositionLacking({}), 1, 'a clock lacking removed events finds no retained commit it dominates');
  const atFirst = await store.clocks.clockBefore(61);
  t.ok(atFirst !== undefined, 'the first retained commit keeps its clock');
  t.equal(await store.clocks.firstPositionLacking(atFirst as VectorClock), 61, 'a peer with everything removed resumes at the first retained position');
  t.equal(await store.clocks.positionOf('a', vc.a), 100, 'a retained event is still found by id');
  t.equal(await store.clocks.positionOf('a', 1), undefined, 'a removed one is not');
  t.equal(store.logBytes, events.slice(60).reduce((n, e) => n + e.bytes.length, 0), 'the byte count follows');

  const queries = queriesOf(store, 101);
  await t.rejects(queries.read(1, 10), { code: 'TROUPE_LOG_COMPACTED', first: 61 }, '/log below the retained start');
  t.same((await queries.read(61, 3)).map((e) => e.pos), [61, 62, 63], '/log from the retained start');
  await t.rejects(queries.trace(eventId('b', 1)), { code: 'TROUPE_LOG_COMPACTED', first: 61 }, '/trace of a workflow whose first event is gone');
  t.same((await queries.trace(eventId('a', vc.a))).events.map((e) => e.pos), [100], '/trace of a retained workflow');
  await store.close();

  const again = await Store.open(dir, 'n1');
  await again.load();
  t.equal(again.logStart, 61, 'the retained start survives a restart');
  t.equal(again.logBytes, events.slice(60).reduce((n, e) => n + e.bytes.length, 0), 'so does the byte count');
  await again.close();
});

t.test('compaction stops at what a member has not acknowledged, and at the newest commit', async (t) => {
  const dir = t.testdir();
  const store = await Store.open(`${dir}/strict`, 'n1');
  await store.load();
  const { events } = await fill(store, 50, 5);
  // The member has the first 23 events: a, b up to what pos 23 carries.
  const acked: Record<string, number> = {};
  for (const e of events.slice(0, 23)) acked[e.origin] = e.seq;
  await compactionOf(store, { maxEvents: 1 }, [{ id: 'm', acked, durable: true }], 51).pass();
  t.equal(store.logStart, 21, 'the commit holding the first entry it lacks stays');

  const relaxed = await Store.open(`${dir}/relaxed`, 'n2');
  await relaxed.load();
  await fill(relaxed, 50, 5);
  await compactionOf(relaxed, { maxEvents: 1 }, [{ id: 'm', acked: { a: 99, b: 99 }, durable: false }], 51).pass();
  t.equal(relaxed.logStart, 1, 'a relaxed member\'s acks remove nothing');
  await compactionOf(relaxed, { maxEvents: 1 }, [], 51).pass();
  t.equal(relaxed.logStart, 46, 'with no member, all but the newest commit goes');
  await store.close();
  await relaxed.close();
});

t.test('past the hard cap, entries a member lacks go too, and are counted', async (t) => {
  const store = await Store.open(t.testdir(), 'n1');
  await store.load();
  await fill(store, 40, 10);
  const cap = Math.floor(store.logBytes / 2);
  const compaction = compactionOf(store, { maxEvents: 5, capBytes: cap }, [{ id: 'm', acked: {}, durable: true }], 41);
  await compaction.pass();
  t.ok(store.logBytes <= cap, 'the log is back under its cap');
  t.equal(compaction.forced, compaction.removed, 'every entry removed was one the member lacked');
  t.ok(store.logStart > 1 && store.logStart < 41, 'the newest commit stays');
  await store.close();
});

t.test('compaction removes the origin checkpoints that list only removed events, and keeps one that lists a retained event', async (t) => {
  const store = await Store.open(t.testdir(), 'n1');
  await store.load();
  const { clock: vc } = await fill(store, 20, 10);
  // Checkpoints as if each origin signed one per five of its events (the bytes stand in for a proof frame).
  const proofs = ['a', 'b'].flatMap((origin) => [5, 10].map((last) => ({ origin, last, bytes: new Uint8Array([last]) })));
  await store.commit({ events: [], vcBefore: vc, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map(), proofs });
  // Positions 1-10 hold seqs 1-5 of each origin.
  await compactionOf(store, { maxEvents: 10 }, [{ id: 'm', acked: vc, durable: true }], 21).pass();
  t.equal(store.logStart, 11);
  for (const origin of ['a', 'b']) {
    t.same(await store.proofCovering(origin, 1), new Uint8Array([10]), `${origin}: the checkpoint up to seq 5 went with its events; the next one covering a seq is the one up to 10`);
    t.same(await store.proofCovering(origin, 6), new Uint8Array([10]), `${origin}: the checkpoint of retained events stays`);
  }
  await store.close();
});

t.test('the disk space of removed entries is freed, not left for LevelDB to find one day', async (t) => {
  const dir = t.testdir();
  const store = await Store.open(dir, 'n1');
  await store.load();
  // Events of about 1 KiB: 20,000 of them are some 20 MB, far past LevelDB's write buffer.
  const vc: Record<string, number> = {};
  const pad = 'x'.repeat(1000);
  for (let pos = 1; pos <= 20_000; ) {
    const vcBefore = { ...vc };
    const events: StoredEvent[] = [];
    for (let i = 0; i < 500; i++, pos++) {
      const seq = (vc.a = (vc.a ?? 0) + 1);
      events.push({ pos, origin: 'a', seq, correlationId: eventId('a', seq), bytes: encodeEvent({ type: 'T', data: { pad, pos }, origin: 'a', seq, vc: { ...vc }, correlationId: eventId('a', seq), causationId: null, ts: pos, schema: 1 }) });
    }
    await store.commit({ events, vcBefore, vc: { ...vc }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  }
  const before = await dirBytes(dir);
  const compaction = compactionOf(store, { maxEvents: 1000 }, [{ id: 'm', acked: vc, durable: true }], 20_001);
  await compaction.pass();
  t.equal(store.logStart, 19_001, 'all but the newest 1,000 were removed');
  const after = await dirBytes(dir);
  t.ok(after < before / 4, `the store shrank on disk: ${before} → ${after} bytes`);
  await store.close();
});

/** The bytes of the files in `dir` (a LevelDB directory has no subdirectories). */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}
