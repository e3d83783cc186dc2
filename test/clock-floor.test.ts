/**
 * Clocks on a floor (`protocol/clock-floor.ts`): a clock put on a floor reads exactly as
 * before through every reader of clocks, holds no entry its floor reads the same, and
 * stays exact through copies, writes and moves to newer floors.
 */
import t from 'tap';
import fc from 'fast-check';
import {
  clockFloor,
  copyClock,
  floored,
  floorOf,
  foldedCount,
  moveToFloor,
  NO_FLOOR,
  onFloor,
  reachesFloor,
  settleOnFloor,
  tidyClock,
  wholeClock,
  wholeClockOfLast,
  type ClockFloor,
} from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import { canDeliver, compare, dominates, isDuplicate, merge, missingCount, sum } from '../protocol/vector-clock.js';

const ORIGINS = ['a~1', 'a~2', 'a~3', 'b~1', 'b~2', 'c'];

/** The entry of `k` as any reader of clocks reads it. */
function read(vc: VectorClock, k: string): number {
  const n = vc[k];
  return typeof n === 'number' ? n : 0;
}

/** Every entry of `vc` as a sorted plain record without zeros: what a clock means. */
function meaning(vc: VectorClock): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ORIGINS) if (read(vc, k) !== 0) out[k] = read(vc, k);
  return out;
}

const clockArb = fc.dictionary(fc.constantFrom(...ORIGINS), fc.nat({ max: 12 }), { maxKeys: ORIGINS.length });
const floorArb = fc.dictionary(fc.constantFrom(...ORIGINS.slice(0, 5)), fc.integer({ min: 1, max: 12 }), { maxKeys: 5 }).map((finals) => {
  const list = Object.entries(finals).map(([origin, final]) => [origin, [{ origin: 'c', seq: 1, final }]] as const);
  return clockFloor(new Map(list));
});

t.test('a clock put on a floor reads every entry as before, and holds none its floor reads the same', async (t) => {
  fc.assert(
    fc.property(clockArb, floorArb, (vc, floor) => {
      const on = onFloor(vc, floor);
      if (JSON.stringify(meaning(on)) !== JSON.stringify(meaning(vc))) return false;
      for (const k of Object.keys(on)) if (Object.hasOwn(floor, k) && on[k] === floor[k]) return false;
      return floorOf(on) === floor;
    }),
  );
  const floor = clockFloor(new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]]]));
  const on = onFloor({ 'a~1': 9, 'a~2': 3 }, floor);
  t.same(Object.keys(on), ['a~2'], 'the retired origin at its final seq takes no entry');
  t.equal(on['a~1'], 9, 'and reads as its final seq');
  t.equal(JSON.stringify(on), '{"a~2":3}', 'JSON shows the live entries');
  t.equal(foldedCount(on), 1, 'one origin folded');
  t.same(Object.keys(onFloor({ 'a~2': 3 }, floor)).sort(), ['a~1', 'a~2'], 'a clock without the retired origin keeps it, as 0');
  t.equal(onFloor({ 'a~2': 3 }, floor)['a~1'], 0);
});

t.test('every function over clocks answers the same for a clock on a floor as for the whole clock', async (t) => {
  fc.assert(
    fc.property(clockArb, clockArb, floorArb, fc.constantFrom(...ORIGINS), fc.nat({ max: 13 }), (a, b, floor, origin, seq) => {
      const fa = onFloor(a, floor);
      const fb = onFloor(b, floor);
      const event = { origin, seq: seq + 1, vc: b };
      return (
        compare(fa, fb) === compare(a, b) &&
        compare(fa, b) === compare(a, b) &&
        dominates(fa, fb) === dominates(a, b) &&
        dominates(a, fb) === dominates(a, b) &&
        missingCount(fa, fb) === missingCount(a, b) &&
        missingCount(a, fb) === missingCount(a, b) &&
        sum(fa) === sum(a) &&
        JSON.stringify(meaning(merge(fa, fb))) === JSON.stringify(meaning(merge(a, b))) &&
        canDeliver(fa, event) === canDeliver(a, event) &&
        isDuplicate(fa, event) === isDuplicate(a, event)
      );
    }),
  );
  t.pass('compare, dominates, missingCount, sum, merge, canDeliver and isDuplicate agree');
});

t.test('a clock stays exact through writes, copies and moves onto newer floors', async (t) => {
  const step = fc.oneof(
    fc.record({ write: fc.constantFrom(...ORIGINS), n: fc.nat({ max: 14 }) }),
    fc.record({ move: floorArb }),
    fc.record({ tidy: fc.constant(true) }),
    fc.record({ copy: fc.constant(true) }),
  );
  fc.assert(
    fc.property(clockArb, floorArb, fc.array(step, { maxLength: 20 }), (start, floor, steps) => {
      const model: Record<string, number> = { ...start };
      let vc = onFloor(start, floor);
      for (const s of steps) {
        if ('write' in s) {
          (vc as Record<string, number>)[s.write] = s.n;
          model[s.write] = s.n;
        } else if ('move' in s) moveToFloor(vc, s.move);
        else if ('tidy' in s) tidyClock(vc);
        else {
          const copy = copyClock(vc);
          (vc as Record<string, number>)['c'] = 99; // the copy must not see it
          if (read(copy, 'c') === 99 && model.c !== 99) return false;
          vc = copy;
        }
        if (JSON.stringify(meaning(vc)) !== JSON.stringify(meaning(model))) return false;
      }
      const whole = wholeClock(vc);
      return floorOf(whole) === NO_FLOOR && JSON.stringify(meaning(whole)) === JSON.stringify(meaning(model));
    }),
  );
  t.pass('it read as its plain model after every step');
});

t.test('only a clock that reaches a floor moves onto it: one behind it keeps its entries as they are', async (t) => {
  const floor: ClockFloor = clockFloor(new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]], ['b~1', [{ origin: 'b~2', seq: 1, final: 4 }]]]));
  const behind: VectorClock = { 'a~2': 3 };
  t.notOk(reachesFloor(behind, floor));
  settleOnFloor(behind, floor);
  t.equal(floorOf(behind), NO_FLOOR, 'a peer that never counted the retired origins stays a plain clock');
  t.same(Object.keys(floored(behind, floor)), ['a~2'], 'and a floored copy of it takes no entry more');
  const caughtUp: VectorClock = { 'a~1': 9, 'a~2': 3, 'b~1': 5, 'b~2': 1 };
  t.ok(reachesFloor(caughtUp, floor));
  settleOnFloor(caughtUp, floor);
  t.equal(floorOf(caughtUp), floor, 'one that caught up moves onto it');
  t.same(Object.keys(caughtUp).sort(), ['a~2', 'b~1', 'b~2'], 'keeping only the entries its floor reads otherwise');
  t.equal(caughtUp['a~1'], 9);
  t.equal({ ...caughtUp }['a~1'], undefined, 'a spread drops what the floor reads: copies are made with copyClock');
  t.equal(copyClock(caughtUp)['a~1'], 9);
});

t.test('the floor holds each retired origin at the largest final seq of its retirements', async (t) => {
  const floor = clockFloor(
    new Map([
      ['a~1', [{ origin: 'a~2', seq: 1, final: 4 }, { origin: 'a~3', seq: 1, final: 7 }]],
      ['a~2', [{ origin: 'a~3', seq: 1, final: 2 }]],
    ]),
  );
  t.same({ ...floor }, { 'a~1': 7, 'a~2': 2 });
  t.equal(clockFloor(new Map()), NO_FLOOR, 'no retirement: the floor of plain clocks');
});

t.test('a whole clock of the last clock read is made once per clock object, and anew for the next', async (t) => {
  const floor = clockFloor(new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 4 }]]]));
  const whole = wholeClockOfLast();
  const first = onFloor({ 'a~1': 4, 'a~2': 2 }, floor);
  const read = whole(first);
  t.same(read, { 'a~2': 2, 'a~1': 4 }, 'a plain object with every entry the clock reads');
  t.equal(floorOf(read), NO_FLOOR);
  t.equal(whole(first), read, 'the same clock again: the same whole clock, not another copy');
  const next = onFloor({ 'a~1': 4, 'a~2': 3 }, floor);
  t.same(whole(next), { 'a~2': 3, 'a~1': 4 }, 'the clock that replaced it is read afresh');
  const plain = { c: 1 };
  t.equal(whole(plain), plain, 'a clock on no floor is its own whole clock');
});
