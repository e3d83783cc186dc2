import t, { type Test } from 'tap';
import { SimulatedClock } from 'xstate';
import { encodeEvent } from '../protocol/event-codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import { LogQueries } from '../runtime/log-queries.js';
import { RecentLog } from '../runtime/recent-log.js';
import { Store, type StoredEvent } from '../runtime/store.js';

/** A log of `n` committed events of n1 (`data` each), of which the newest `inMemory` are in the recent log. */
async function setup(t: Test, n: number, inMemory: number, data: unknown = null) {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  t.teardown(() => store.close());
  const events: StoredEvent[] = [];
  const vc: VectorClock = {};
  for (let seq = 1; seq <= n; seq++) {
    vc.n1 = seq;
    const correlationId = seq % 2 === 0 ? 'even' : 'odd';
    events.push({ pos: seq, origin: 'n1', seq, correlationId, bytes: encodeEvent({ origin: 'n1', seq, schema: 1, vc: { ...vc }, type: 'T', correlationId, causationId: null, ts: seq, data }) });
  }
  await store.commit({ events, vcBefore: {}, vc: { ...vc }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  const recent = new RecentLog(inMemory);
  recent.reset(n - inMemory + 1);
  recent.append(events.slice(n - inMemory));
  const clock = new SimulatedClock();
  const queries = new LogQueries({ store, recent, clock, pageBytes: 4096, heldBack: () => [], outboxes: () => [] });
  return { queries, recent, clock };
}

t.test('read pages through the store and the in-memory tail alike, in log order', async (t) => {
  const { queries } = await setup(t, 10, 4);
  t.same((await queries.read(1, 3)).map((e) => e.pos), [1, 2, 3], 'from disk');
  t.same((await queries.read(5, 10)).map((e) => e.pos), [5, 6], 'from disk, stopping where memory starts');
  t.same((await queries.read(7, 10)).map((e) => e.pos), [7, 8, 9, 10], 'from memory');
  t.same((await queries.read(0, 1)).map((e) => e.seq), [1], 'positions start at 1');
});

t.test('a page stops at its byte budget but holds at least one event', async (t) => {
  const { queries } = await setup(t, 5, 5, 'x'.repeat(3000));
  t.same((await queries.read(1, 5)).map((e) => e.pos), [1], 'two 3 KB events are over 4 KB');
});

t.test('trace lists one workflow\'s events', async (t) => {
  const { queries } = await setup(t, 6, 2);
  const trace = await queries.trace('even');
  t.same(trace.events.map((e) => e.id), ['n1:2', 'n1:4', 'n1:6']);
  t.same(trace.buffered, []);
});

t.test('waitFor resolves when a commit reaches the position, or when its time is up', async (t) => {
  const { queries, recent, clock } = await setup(t, 2, 2);
  let done = false;
  void queries.waitFor(3, 1000).then(() => (done = true));
  await Promise.resolve();
  t.notOk(done, 'position 3 is not committed yet');
  recent.append([{ pos: 3, origin: 'n1', seq: 3, correlationId: 'odd', bytes: new Uint8Array(12) }]);
  queries.committed();
  await Promise.resolve();
  t.ok(done, 'a commit wakes it');

  let timedOut = false;
  void queries.waitFor(9, 1000).then(() => (timedOut = true));
  clock.increment(999);
  await Promise.resolve();
  t.notOk(timedOut, 'not before its time');
  clock.increment(1);
  await Promise.resolve();
  t.ok(timedOut, 'resolves after ms without a commit');
  await queries.waitFor(1, 1000);
  t.pass('a position already there resolves at once');
});
