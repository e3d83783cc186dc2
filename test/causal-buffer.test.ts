import t from 'tap';
import fc from 'fast-check';
import { CausalBuffer } from '../runtime/causal-buffer.js';
import { canDeliver } from '../protocol/vector-clock.js';
import type { VectorClock } from '../protocol/envelope.js';
import { causalArrivals, deliversCausally, id, type Ev } from './helpers/causal-history.js';

t.test('delivers every event exactly once, in causal order, whatever the arrival order and duplicates', async (t) => {
  fc.assert(
    fc.property(causalArrivals, ({ events, arrivals }) => {

      const buffer = new CausalBuffer<Ev>(1000);
      const delivered: VectorClock = {};
      const order: Ev[] = [];
      for (const e of arrivals) {
        buffer.add(e, delivered);
        buffer.drain(delivered, (d) => order.push(d));
      }

      return buffer.size === 0 && deliversCausally(events, order);
    }),
    { numRuns: 300 },
  );
  t.pass('property holds');
});

t.test('holds an event until its dependencies are delivered', async (t) => {
  const buffer = new CausalBuffer<Ev>(10);
  const delivered: VectorClock = {};
  const out: string[] = [];
  const a1 = { origin: 'a', seq: 1, vc: { a: 1 } };
  const b1 = { origin: 'b', seq: 1, vc: { a: 1, b: 1 } };
  const a2 = { origin: 'a', seq: 2, vc: { a: 2, b: 1 } };
  t.equal(buffer.add(a2, delivered), 'buffered');
  t.equal(buffer.add(b1, delivered), 'buffered');
  t.equal(buffer.drain(delivered, (e) => out.push(id(e))), 0, 'nothing is deliverable without a:1');
  t.same(buffer.waiting().map(id), ['a:2', 'b:1']);
  t.equal(buffer.add(a1, delivered), 'buffered');
  t.equal(buffer.drain(delivered, (e) => out.push(id(e))), 3);
  t.same(out, ['a:1', 'b:1', 'a:2']);
  t.same(delivered, { a: 2, b: 1 }, 'drain advances the clock it was given');
  t.equal(buffer.size, 0);
});

t.test('refuses duplicates of delivered or buffered events', async (t) => {
  const buffer = new CausalBuffer<Ev>(10);
  const e = { origin: 'a', seq: 3, vc: { a: 3 } };
  t.equal(buffer.add(e, { a: 3 }), 'duplicate', 'already delivered');
  t.equal(buffer.add(e, { a: 1 }), 'buffered');
  t.equal(buffer.add({ ...e }, { a: 1 }), 'duplicate', 'already buffered');
  t.equal(buffer.size, 1);
});

t.test('refuses events past its limit and keeps nothing of them, but for one deliverable now', async (t) => {
  const buffer = new CausalBuffer<Ev>(2);
  const delivered: VectorClock = {};
  t.equal(buffer.add({ origin: 'a', seq: 2, vc: { a: 2 } }, delivered), 'buffered');
  t.equal(buffer.add({ origin: 'a', seq: 3, vc: { a: 3 } }, delivered), 'buffered');
  t.equal(buffer.add({ origin: 'a', seq: 4, vc: { a: 4 } }, delivered), 'overflow');
  t.equal(buffer.size, 2);
  // A full buffer still takes an event deliverable now, or what waits on it never drains.
  t.equal(buffer.add({ origin: 'a', seq: 1, vc: { a: 1 } }, delivered), 'buffered', 'except the missing dependency');
  const out: string[] = [];
  t.equal(buffer.drain(delivered, (e) => out.push(id(e))), 3);
  t.same(out, ['a:1', 'a:2', 'a:3']);
  t.equal(buffer.add({ origin: 'a', seq: 4, vc: { a: 4 } }, delivered), 'buffered', 'room again');
  t.throws(() => new CausalBuffer(-1), RangeError);
});

t.test('drops buffered events that were delivered some other way', async (t) => {
  const buffer = new CausalBuffer<Ev>(10);
  const delivered: VectorClock = { b: 0 };
  buffer.add({ origin: 'a', seq: 2, vc: { a: 2, b: 1 } }, delivered);
  buffer.add({ origin: 'a', seq: 3, vc: { a: 3, b: 1 } }, delivered);
  buffer.add({ origin: 'a', seq: 5, vc: { a: 5, b: 1 } }, delivered);
  // a:1..3 and b:1 were delivered without the buffer (say, re-sent copies).
  delivered.a = 3;
  delivered.b = 1;
  const out: string[] = [];
  t.equal(buffer.drain(delivered, (e) => out.push(id(e))), 0);
  t.same(buffer.waiting().map(id), ['a:5'], 'a:2 and a:3 are gone, a:5 still waits for a:4');
  t.equal(buffer.size, 1);
  t.equal(buffer.add({ origin: 'a', seq: 4, vc: { a: 4, b: 1 } }, delivered), 'buffered');
  buffer.drain(delivered, (e) => out.push(id(e)));
  t.same(out, ['a:4', 'a:5']);

  // A far jump of the clock: cheaper to scan the few entries than to probe every seq.
  buffer.add({ origin: 'a', seq: 10, vc: { a: 10 } }, delivered);
  buffer.add({ origin: 'a', seq: 2000, vc: { a: 2000 } }, delivered);
  delivered.a = 1000;
  t.equal(buffer.drain(delivered, (e) => out.push(id(e))), 0);
  t.same(buffer.waiting().map(id), ['a:2000']);
});

t.test('clear empties the buffer', async (t) => {
  const buffer = new CausalBuffer<Ev>(10);
  buffer.add({ origin: 'a', seq: 2, vc: { a: 2 } }, {});
  buffer.clear();
  t.equal(buffer.size, 0);
  t.same(buffer.waiting(), []);
  t.equal(buffer.add({ origin: 'a', seq: 2, vc: { a: 2 } }, {}), 'buffered');
});

t.test('drains 100k buffered events in linear time', async (t) => {
  // Five origins, each event depending on the previous event of the next origin, all
  // buffered in reverse: nothing moves until the very first event arrives.
  const origins = ['a', 'b', 'c', 'd', 'e'];
  const perOrigin = 20_000;
  const clock: VectorClock = {};
  const events: Ev[] = [];
  for (let s = 1; s <= perOrigin; s++) {
    for (const o of origins) {
      clock[o] = s;
      events.push({ origin: o, seq: s, vc: { ...clock } });
    }
  }
  const buffer = new CausalBuffer<Ev>(events.length);
  const delivered: VectorClock = {};
  const started = performance.now();
  for (let i = events.length - 1; i >= 1; i--) buffer.add(events[i], delivered);
  t.equal(buffer.drain(delivered, () => {}), 0);
  buffer.add(events[0], delivered);
  let count = 0;
  let causal = true;
  const check: VectorClock = {};
  buffer.drain(delivered, (e) => {
    count++;
    if (!canDeliver(check, e)) causal = false;
    check[e.origin] = e.seq;
  });
  const ms = performance.now() - started;
  t.equal(count, events.length);
  t.ok(causal, 'every delivery met the CBCAST condition');
  t.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
});
