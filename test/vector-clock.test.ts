import t from 'tap';
import fc from 'fast-check';
import { canDeliver, compare, dominates, isDuplicate, merge, missingCount, sum } from '../protocol/vector-clock.js';
import type { VectorClock } from '../protocol/envelope.js';

// Few node names, so generated clocks overlap; `constructor` checks that a node id
// inherited from Object.prototype still reads as a missing (zero) entry.
const node = fc.constantFrom('a', 'b', 'c', 'd', 'constructor');
const clock = fc.dictionary(node, fc.nat({ max: 5 }), { maxKeys: 5 });

/** Equality of clocks, where a missing entry is 0. */
function same(a: VectorClock, b: VectorClock): boolean {
  return compare(a, b) === 'equal';
}

t.test('merge is commutative, associative and idempotent', async (t) => {
  fc.assert(fc.property(clock, clock, (a, b) => same(merge(a, b), merge(b, a))));
  fc.assert(fc.property(clock, clock, clock, (a, b, c) => same(merge(merge(a, b), c), merge(a, merge(b, c)))));
  fc.assert(fc.property(clock, (a) => same(merge(a, a), a)));
  t.pass('properties hold');
});

t.test('merge is the least clock that dominates both', async (t) => {
  fc.assert(fc.property(clock, clock, (a, b) => dominates(merge(a, b), a) && dominates(merge(a, b), b)));
  fc.assert(fc.property(clock, clock, clock, (a, b, c) => !(dominates(c, a) && dominates(c, b)) || dominates(c, merge(a, b))));
  t.same(merge({ a: 1, b: 3 }, { b: 2, c: 4 }), { a: 1, b: 3, c: 4 });
});

t.test('merge does not mutate its inputs', async (t) => {
  const a = { a: 1 };
  const b = { b: 2 };
  merge(a, b);
  t.same(a, { a: 1 });
  t.same(b, { b: 2 });
});

t.test('compare is antisymmetric and consistent with dominates', async (t) => {
  const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
  fc.assert(fc.property(clock, clock, (a, b) => compare(b, a) === flip[compare(a, b)]));
  fc.assert(
    fc.property(clock, clock, (a, b) => {
      const order = compare(a, b);
      const ab = dominates(a, b);
      const ba = dominates(b, a);
      if (order === 'equal') return ab && ba;
      if (order === 'before') return ba && !ab;
      if (order === 'after') return ab && !ba;
      return !ab && !ba;
    }),
  );
  t.pass('properties hold');
});

t.test('compare treats a missing entry as zero', async (t) => {
  t.equal(compare({ a: 1, b: 0 }, { a: 1 }), 'equal');
  t.equal(compare({}, { a: 1 }), 'before');
  t.equal(compare({ a: 2 }, { a: 1, b: 0 }), 'after');
  t.equal(compare({ a: 1 }, { b: 1 }), 'concurrent');
  t.equal(compare({ constructor: 1 }, {}), 'after');
});

t.test('sum counts every event; missingCount is the outbox depth', async (t) => {
  t.equal(sum({}), 0);
  t.equal(sum({ a: 3, b: 4 }), 7);
  t.equal(missingCount({ a: 5, b: 2 }, { a: 3, b: 7, c: 1 }), 2);
  t.equal(missingCount({ a: 5 }, {}), 5);
  fc.assert(fc.property(clock, clock, (a, b) => missingCount(a, b) === sum(merge(a, b)) - sum(b)));
  fc.assert(fc.property(clock, clock, (a, b) => (missingCount(a, b) === 0) === dominates(b, a)));
});

t.test('delivers an event only after its causal dependencies', async (t) => {
  const e = { origin: 'a', seq: 2, vc: { a: 2, b: 1 } };
  t.ok(canDeliver({ a: 1, b: 1 }, e), 'next of its origin, dependencies met');
  t.ok(canDeliver({ a: 1, b: 5, c: 9 }, e), 'local may be ahead on other nodes');
  t.notOk(canDeliver({ a: 1 }, e), 'waits for b:1');
  t.notOk(canDeliver({ a: 0, b: 1 }, e), 'waits for a:1 (a gap in its origin)');
  t.notOk(canDeliver({ a: 2, b: 1 }, e), 'already delivered');
  t.ok(canDeliver({}, { origin: 'a', seq: 1, vc: { a: 1 } }), 'a first event with no dependencies');
  t.ok(canDeliver({}, { origin: 'constructor', seq: 1, vc: { constructor: 1 } }), 'node ids inherited from Object.prototype work');
});

t.test('isDuplicate is seq at or below the local entry', async (t) => {
  t.ok(isDuplicate({ a: 3 }, { origin: 'a', seq: 3 }));
  t.ok(isDuplicate({ a: 3 }, { origin: 'a', seq: 1 }));
  t.notOk(isDuplicate({ a: 3 }, { origin: 'a', seq: 4 }));
  t.notOk(isDuplicate({}, { origin: 'toString', seq: 1 }));
});
