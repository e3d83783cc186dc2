import t from 'tap';
import fc from 'fast-check';
import type { VectorClock } from '../protocol/envelope.js';
import { Intake } from '../runtime/intake.js';
import { causalArrivals, deliversCausally, id, type Ev } from './helpers/causal-history.js';

t.test('delivers every event exactly once, in causal order, however arrivals and drains interleave', async (t) => {
  fc.assert(
    // Several arrivals between drains, as frames arrive between two batches of the pump.
    fc.property(causalArrivals, fc.array(fc.boolean(), { minLength: 1 }), ({ events, arrivals }, drains) => {
      const drainAfter = (i: number): boolean => drains[i % drains.length];

      const intake = new Intake<Ev>(1000);
      const delivered: VectorClock = {};
      const order: Ev[] = [];
      arrivals.forEach((e, i) => {
        intake.add(e, delivered);
        if (drainAfter(i)) intake.drain(delivered, (d) => order.push(d));
      });
      intake.drain(delivered, (d) => order.push(d));
      return intake.size === 0 && deliversCausally(events, order);
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});

t.test('in-order arrivals take the lane; one that overtook a dependency waits', async (t) => {
  const intake = new Intake<Ev>(10);
  const delivered: VectorClock = {};
  const a1 = { origin: 'a', seq: 1, vc: { a: 1 } };
  const b1 = { origin: 'b', seq: 1, vc: { a: 1, b: 1 } };
  const a2 = { origin: 'a', seq: 2, vc: { a: 2 } };
  t.equal(intake.add(a1, delivered), 'fresh');
  t.equal(intake.add(b1, delivered), 'fresh', 'b1 depends on a1, which is in the lane');
  t.equal(intake.blocked, 0, 'nothing waits on a dependency');
  t.equal(intake.add(a1, delivered), 'duplicate', 'a copy of an event in the lane');
  const out: string[] = [];
  intake.drain(delivered, (e) => out.push(id(e)));
  t.same(out, ['a:1', 'b:1']);
  t.same(delivered, { a: 1, b: 1 });

  const a4 = { origin: 'a', seq: 4, vc: { a: 4 } };
  t.equal(intake.add(a4, delivered), 'fresh');
  t.equal(intake.blocked, 1, 'a4 overtook a3 and a2');
  t.equal(intake.add(a2, delivered), 'fresh');
  t.equal(intake.add({ origin: 'a', seq: 3, vc: { a: 3 } }, delivered), 'fresh');
  out.length = 0;
  intake.drain(delivered, (e) => out.push(id(e)));
  t.same(out, ['a:2', 'a:3', 'a:4'], 'the lane first, then what the buffer releases');
  t.equal(intake.size, 0);
});

t.test('an own event just stamped lets arrivals that depend on it take the lane', async (t) => {
  const intake = new Intake<Ev>(10);
  const delivered: VectorClock = { me: 1 };
  t.equal(intake.add({ origin: 'p', seq: 1, vc: { me: 1, p: 1 } }, delivered), 'fresh');
  t.equal(intake.blocked, 0);
});

t.test('past its limit it refuses what it cannot deliver, but still takes what it can', async (t) => {
  const intake = new Intake<Ev>(2);
  const delivered: VectorClock = {};
  t.equal(intake.add({ origin: 'a', seq: 3, vc: { a: 3 } }, delivered), 'fresh');
  t.equal(intake.add({ origin: 'a', seq: 4, vc: { a: 4 } }, delivered), 'fresh');
  t.equal(intake.add({ origin: 'a', seq: 5, vc: { a: 5 } }, delivered), 'overflow');
  t.equal(intake.add({ origin: 'a', seq: 1, vc: { a: 1 } }, delivered), 'fresh', 'deliverable: taken though full');
  t.equal(intake.size, 3);
});
