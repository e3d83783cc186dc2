import t from 'tap';
import fc from 'fast-check';
import { encodeEvent } from '../protocol/codec.js';
import { eventId, type VectorClock } from '../protocol/envelope.js';
import { Store, type StoredEvent } from '../runtime/store.js';

/** Commits `origins` events one per origin in turn, `perCommit` events a commit; returns every clock before a commit. */
async function fill(store: Store, origins: string[], total: number, perCommit: number): Promise<VectorClock[]> {
  const vc: VectorClock = {};
  const before: VectorClock[] = [];
  let pos = 0;
  while (pos < total) {
    const vcBefore = { ...vc };
    before.push(vcBefore);
    const events: StoredEvent[] = [];
    for (let i = 0; i < perCommit && pos < total; i++) {
      const origin = origins[pos % origins.length];
      const seq = (vc[origin] ?? 0) + 1;
      vc[origin] = seq;
      pos++;
      const bytes = encodeEvent({ type: 'T', data: pos, origin, seq, vc: { ...vc }, correlationId: `c${pos % 3}`, causationId: null, ts: pos, schema: 1 });
      events.push({ pos, origin, seq, correlationId: `c${pos % 3}`, bytes });
    }
    await store.commit({ events, vcBefore, vc: { ...vc }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map([['p', vcBefore]]) });
  }
  return before;
}

t.test('commits events, clock and acks atomically and loads them back', async (t) => {
  const dir = t.testdir();
  const store = await Store.open(dir, 'n1');
  await fill(store, ['a', 'b'], 10, 4);
  const rows = await store.readFrom(3, 4);
  t.same(rows.map((r) => r.pos), [3, 4, 5, 6], 'reads in delivery order from a position');
  await store.close();

  const again = await Store.open(dir, 'n1');
  const state = await again.load();
  t.same(state.vc, { a: 5, b: 5 });
  t.same(state.acks.get('p'), { a: 4, b: 4 }, 'the last acknowledged clock of a peer');
  t.same(await again.positionsOfWorkflow('c1', 100), [1, 4, 7, 10], 'a workflow index in delivery order');
  t.equal((await again.eventsAt([2, 99]))[1], undefined);
  await again.close();
});

t.test('refuses a data directory that belongs to another node', async (t) => {
  const dir = t.testdir();
  await (await Store.open(dir, 'n1')).close();
  await t.rejects(Store.open(dir, 'n2'), { code: 'TROUPE_STORE_FAILED' });
});

t.test('finds where a peer at a given clock must start receiving', async (t) => {
  const store = await Store.open(t.testdir(), 'n1');
  const before = await fill(store, ['a', 'b', 'c'], 30, 5);
  t.equal(await store.clocks.firstPositionLacking({}), 1, 'an empty peer starts at the beginning');
  t.equal(await store.clocks.firstPositionLacking(before[3]), 16, 'a peer at a commit boundary starts at that commit');
  const midway = { ...before[3], a: before[3].a + 1 };
  t.equal(await store.clocks.firstPositionLacking(midway), 16, 'a peer inside a commit starts at its beginning');
  t.equal(await store.clocks.firstPositionLacking({ a: 100, b: 100, c: 100 }), 26, 'a peer ahead of everything starts at the last commit');
  t.equal(await store.clocks.firstPositionLacking({ a: 100 }), 1, 'a peer lacking one origin entirely starts at the beginning');
  await store.close();
});

t.test('workflow indexes of ids that share a prefix or hold a slash never mix', async (t) => {
  const store = await Store.open(t.testdir(), 'n1');
  const ids = ['n1:5', 'n1:50', 'a', 'a/b', 'a%2Fb', 'ünï'];
  const events: StoredEvent[] = ids.map((correlationId, i) => ({
    pos: i + 1,
    origin: 'n1',
    seq: i + 1,
    correlationId,
    bytes: encodeEvent({ type: "T", data: null, origin: "n1", seq: i + 1, vc: { n1: i + 1 }, correlationId, causationId: null, ts: i, schema: 1 }),
  }));
  await store.commit({ events, vcBefore: {}, vc: { n1: ids.length }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  for (const [i, id] of ids.entries()) t.same(await store.positionsOfWorkflow(id, 10), [i + 1], id);
  await store.close();
});

t.test('a workflow is found whole whether its first event is indexed or named by its own id', async (t) => {
  const dir = t.testdir();
  let run = 0;
  /** How each event picks its correlation id: its own id (it starts a workflow), an earlier event's workflow, a user's id, or the id of another event that started no workflow. */
  const pick = fc.oneof(
    fc.constant({ kind: 'own' as const }),
    fc.nat().map((n) => ({ kind: 'earlier' as const, n })),
    fc.constantFrom('order-1', 'order-2').map((id) => ({ kind: 'user' as const, id })),
    fc.constantFrom('a:1', 'b:2').map((id) => ({ kind: 'named' as const, id })),
  );
  const history = fc.array(fc.record({ origin: fc.constantFrom('a', 'b', 'c'), pick, commitEnds: fc.boolean() }), { minLength: 1, maxLength: 40 });
  await fc.assert(
    fc.asyncProperty(history, async (steps) => {
      const store = await Store.open(`${dir}/${run++}`, 'n1', { sync: false });
      try {
        const vc: VectorClock = {};
        const logged: StoredEvent[] = [];
        let batch: StoredEvent[] = [];
        let vcBefore: VectorClock = {};
        for (const [i, step] of steps.entries()) {
          const seq = (vc[step.origin] ?? 0) + 1;
          vc[step.origin] = seq;
          const own = eventId(step.origin, seq);
          const p = step.pick;
          const correlationId =
            p.kind === 'own' ? own : p.kind === 'earlier' ? (logged.length === 0 ? own : logged[p.n % logged.length].correlationId) : p.id;
          const pos = i + 1;
          const bytes = encodeEvent({ type: 'T', data: null, origin: step.origin, seq, vc: { ...vc }, correlationId, causationId: null, ts: pos, schema: 1 });
          const event = { pos, origin: step.origin, seq, correlationId, bytes };
          logged.push(event);
          batch.push(event);
          if (step.commitEnds || i === steps.length - 1) {
            await store.commit({ events: batch, vcBefore, vc: { ...vc }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
            batch = [];
            vcBefore = { ...vc };
          }
        }
        for (const e of logged) {
          if ((await store.clocks.positionOf(e.origin, e.seq)) !== e.pos) return false;
        }
        if ((await store.clocks.positionOf('a', 1000)) !== undefined || (await store.clocks.positionOf('zz', 1)) !== undefined) return false;
        const ids = new Set([...logged.map((e) => e.correlationId), 'a:1', 'b:2', 'a:999', 'order-3']);
        for (const id of ids) {
          const expected = logged.filter((e) => e.correlationId === id).map((e) => e.pos);
          const found = await store.positionsOfWorkflow(id, 1000);
          if (found.join() !== expected.join()) return false;
        }
        return true;
      } finally {
        await store.close();
      }
    }),
    { numRuns: 60 },
  );
  t.pass('property holds');
});

t.test('a workflow\'s first event is not indexed: it is found by its id', async (t) => {
  const store = await Store.open(t.testdir(), 'n1');
  await fill(store, ['a'], 1, 1);
  const own = encodeEvent({ type: 'T', data: null, origin: 'a', seq: 2, vc: { a: 2 }, correlationId: 'a:2', causationId: null, ts: 2, schema: 1 });
  await store.commit({ events: [{ pos: 2, origin: 'a', seq: 2, correlationId: 'a:2', bytes: own }], vcBefore: { a: 1 }, vc: { a: 2 }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
  t.same(await store.positionsOfWorkflow('a:2', 10), [2]);
  t.equal(await store.clocks.positionOf('a', 2), 2);
  await store.close();
});

t.test('the newest hybrid time is committed with each batch and loaded back; older stores read it off their newest events', async (t) => {
  const dir = t.testdir();
  const store = await Store.open(dir, 'n1', { sync: false });
  t.equal((await store.load()).lastTs, 0, 'an empty store');
  await fill(store, ['a'], 5, 2); // commits without lastTs, as stores written before it
  t.equal((await store.load()).lastTs, 5, 'the newest ts among the newest events');
  const vc = (await store.load()).vc;
  await store.commit({ events: [], vcBefore: vc, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map(), lastTs: 9_000 });
  await store.close();
  const again = await Store.open(dir, 'n1', { sync: false });
  t.equal((await again.load()).lastTs, 9_000, 'the committed value');
  await again.close();
});
