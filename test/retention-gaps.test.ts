/** Pins what a serving node tells a peer it cannot send (`lost` frames): removed seqs it lacks, and this node's own gaps above its clock. */
import t from 'tap';
import { askedWithin, gapsFor } from '../runtime/retention-gaps.js';
import { SkipRanges } from '../runtime/skips.js';

const all = (): boolean => true;

t.test('a peer behind retention is told, per origin, the removed seqs it lacks', async (t) => {
  t.same(gapsFor({ removed: { a: 10, b: 4, c: 7 }, held: [], acked: { a: 3, b: 4 }, sends: all }), [
    { origin: 'a', from: 4, to: 10 },
    { origin: 'c', from: 1, to: 7 },
  ]);
});

t.test('the peer\'s own current origin, and origins this node does not send it, are never told', async (t) => {
  t.same(gapsFor({ removed: { a: 10, 'p~2': 5, 'n~1': 3 }, held: [], acked: {}, peerOrigin: 'p~2', sends: (o) => o.startsWith('n~') }), [{ origin: 'n~1', from: 1, to: 3 }]);
});

t.test('seqs this node lost itself are told on, above what the peer has and what retention removed', async (t) => {
  const held: [string, [number, number][]][] = [['a', [[2, 5], [20, 30]]], ['b', [[1, 3]]]];
  t.same(gapsFor({ removed: { a: 22 }, held, acked: { a: 1, b: 3 }, sends: all }), [
    { origin: 'a', from: 2, to: 22 },
    { origin: 'a', from: 23, to: 30 },
  ], 'a: removed up to 22, then its own gap to 30; b: the peer has it all');
  t.same(gapsFor({ removed: {}, held, acked: {}, sends: all }), [
    { origin: 'a', from: 2, to: 5 },
    { origin: 'a', from: 20, to: 30 },
    { origin: 'b', from: 1, to: 3 },
  ], 'not behind retention: only its gaps');
});

t.test('askedWithin names the parts of the gaps this node still asks for itself', async (t) => {
  const gaps = [{ origin: 'a', from: 1, to: 10 }, { origin: 'b', from: 3, to: 4 }];
  t.same(askedWithin(gaps, new SkipRanges(new Map([['a', [[5, 20]]], ['c', [[1, 2]]]]))), [{ origin: 'a', from: 5, to: 10 }]);
  t.same(askedWithin(gaps, new SkipRanges()), [], 'nothing asked for: every gap is confirmed');
});
