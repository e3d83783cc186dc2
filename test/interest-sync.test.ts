/**
 * Pins what a node's interest makes of its clock: seqs to refill after a widening and
 * lost seqs still asked for both lower the clock it tells peers, so that a peer streams
 * them again, and both are taken as new deliveries when they arrive.
 */
import t from 'tap';
import { InterestSync } from '../runtime/interest-sync.js';
import { Intake } from '../runtime/intake.js';

const empty = () => ({ skips: new Map(), refill: new Map() });

t.test('lost seqs still asked for lower the told clock and are taken when they arrive', async (t) => {
  const sync = new InterestSync(['*'], empty());
  sync.skipped('c~1', 5, 9, true);
  t.same(sync.told({ 'c~1': 20, d: 3 }), { 'c~1': 4, d: 3 }, 'the told clock stops below the first seq asked for');
  t.ok(sync.refilling('c~1', 7), 'a copy of seq 7 is taken though the clock counts it');
  t.notOk(sync.refilling('c~1', 10), 'seq 10 was not lost: a copy is a duplicate');
  t.equal(sync.firstFetched('c~1'), 5);
  sync.refilled('c~1', 5);
  t.same(sync.told({ 'c~1': 20 }), { 'c~1': 5 }, 'a refilled seq lets the told clock rise');
  t.same(sync.skips.ranges('c~1'), [[6, 9]], 'and is no longer skipped');
  sync.settled('c~1', 6, 9);
  t.same(sync.told({ 'c~1': 20 }), { 'c~1': 20 }, 'settled seqs are no longer asked for');
  t.same(sync.skips.ranges('c~1'), [[6, 9]], 'they stay counted without being held');
  const changes = sync.takeChanges();
  t.same([...(changes?.asked ?? new Map())], [['c~1', []]], 'what a batch writes: nothing left asked for');
});

t.test('lost seqs asked for survive a restart, and are not a widening\'s refill', async (t) => {
  const sync = new InterestSync(['*'], { skips: new Map([['c~1', [[5, 9]] as const]]), refill: new Map(), asked: new Map([['c~1', [[5, 9]] as const]]) });
  t.same(sync.told({ 'c~1': 20 }), { 'c~1': 4 });
  t.ok(sync.refill.empty, 'no refill: a retirement is not held back, and the gap is told on');
  t.ok(sync.fetching);
});

t.test('a skip run counted as lost and asked for says so when the intake applies it', async (t) => {
  const intake = new Intake<{ origin: string; seq: number; vc: Record<string, number> }>(100);
  const delivered = { 'c~1': 2 };
  intake.addSkip('c~1', 3, 4, delivered);
  intake.addSkip('c~1', 5, 9, delivered, true);
  const runs: [string, number, number, boolean][] = [];
  intake.drain(delivered, () => undefined, (origin, from, to, asked) => runs.push([origin, from, to, asked]));
  t.same(runs, [['c~1', 3, 4, false], ['c~1', 5, 9, true]]);
  t.same(delivered, { 'c~1': 9 });
});
