import t from 'tap';
import fc from 'fast-check';
import { SkipRanges } from '../runtime/skips.js';

t.test('ranges merge when they touch and split when a seq is removed', async (t) => {
  const s = new SkipRanges();
  s.add('a', 1, 3);
  s.add('a', 4, 6);
  s.add('a', 10, 10);
  t.same(s.ranges('a'), [[1, 6], [10, 10]]);
  t.equal(s.total, 7);
  s.remove('a', 3, 3);
  t.same(s.ranges('a'), [[1, 2], [4, 6], [10, 10]]);
  t.equal(s.total, 6);
  t.ok(s.has('a', 5));
  t.notOk(s.has('a', 3));
  t.equal(s.first('a'), 1);
  s.remove('a', 1, 10);
  t.ok(s.empty, 'nothing left');
  t.same([...s.takeChanged()], [['a', []]], 'the origin is reported changed, with no range left');
  s.add('b', 5, 9);
  s.takeChanged();
  s.remove('b', 1, 4);
  s.remove('b', 10, 20);
  t.same([...s.takeChanged()], [], 'removing seqs it does not hold changes nothing to store');
});

t.test('the ranges hold exactly the seqs added and not removed', async (t) => {
  const op = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 60 }), fc.nat({ max: 8 }));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const s = new SkipRanges();
      const model = new Set<number>();
      for (const [add, from, n] of ops) {
        if (add) s.add('o', from, from + n);
        else s.remove('o', from, from + n);
        for (let x = from; x <= from + n; x++) (add ? model.add(x) : model.delete(x));
      }
      const ranges = s.ranges('o');
      const sorted = ranges.every(([a, b], i) => a <= b && (i === 0 || ranges[i - 1][1] + 1 < a));
      const held = ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
      return sorted && s.total === model.size && held.length === model.size && held.every((x) => model.has(x));
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});

t.test('within gives exactly the seqs of a span that lie in the ranges, as sorted disjoint pieces', async (t) => {
  const span = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.nat({ max: 12 }));
  fc.assert(
    fc.property(fc.array(span, { maxLength: 12 }), span, ([...added], [from, n]) => {
      const s = new SkipRanges();
      const model = new Set<number>();
      for (const [a, m] of added) {
        s.add('o', a, a + m);
        for (let x = a; x <= a + m; x++) model.add(x);
      }
      const pieces = s.within('o', from, from + n);
      const sorted = pieces.every(([a, b], i) => a <= b && (i === 0 || pieces[i - 1][1] < a));
      const got = pieces.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
      const want = Array.from({ length: n + 1 }, (_, i) => from + i).filter((x) => model.has(x));
      return sorted && got.length === want.length && got.every((x, i) => x === want[i]) && s.within('other', from, from + n).length === 0;
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});
