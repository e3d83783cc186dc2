import t from 'tap';
import pino from 'pino';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import type { Clock } from '../runtime/clock.js';
import { Retirements } from '../runtime/retirements.js';
import { Stamper } from '../runtime/stamper.js';

const log = pino({ level: 'silent' });

/** A wall clock standing at `ms`; timers never fire. */
function wallClock(ms: number): Clock {
  return { now: () => ms, setTimeout: () => undefined, clearTimeout: () => {} };
}

function stamperAt(now: number, delivered: Record<string, number>, retirements = new Retirements()): Stamper {
  return new Stamper({ origin: 'n1~b', delivered, lastTs: 0, maxSkewMs: 1000, clock: wallClock(now), log, retirements });
}

t.test('a stamped event takes the next seq of this origin and counts it in the shared delivered clock', async (t) => {
  const delivered = { 'n1~b': 2, n2: 5 };
  const own = stamperAt(100, delivered).stampOwn({ type: 'Ping' }, null);
  t.match(own.envelope, { origin: 'n1~b', seq: 3, vc: { 'n1~b': 3, n2: 5 }, ts: 100 });
  t.same(delivered, { 'n1~b': 3, n2: 5 });
});

t.test("a delivered event's ts is adopted unless it is further ahead of the wall clock than the skew allowed", async (t) => {
  const stamper = stamperAt(10_000, {});
  stamper.delivering(10_500);
  t.equal(stamper.lastTs, 10_500, 'within the skew: adopted');
  stamper.delivering(20_000);
  t.equal(stamper.lastTs, 10_500, 'beyond the skew: ignored');
  t.equal(stamper.stampOwn({ type: 'Ping' }, null).envelope.ts, 10_500, 'the next stamp does not go behind the adopted ts');
});

t.test('an emission without a type or with data that cannot be encoded is dropped, taking no seq', async (t) => {
  const delivered = { 'n1~b': 1 };
  const stamper = stamperAt(1, delivered);
  t.equal(stamper.stampEmission({ emitted: { type: '' }, cause: null }), undefined);
  t.equal(stamper.stampEmission({ emitted: { type: 'Big', data: 'x'.repeat(2 * 1024 * 1024) }, cause: null }), undefined);
  t.same(delivered, { 'n1~b': 1 });
  const pong = stamper.stampEmission({ emitted: { type: 'Pong' }, cause: { id: 'n2:4', correlationId: 'wf' } });
  t.match(pong?.envelope, { seq: 2, causationId: 'n2:4', correlationId: 'wf' }, 'an emission continues the workflow of its cause');
});

t.test("retired origins are folded out of a stamp's clock, but not out of a retirement's", async (t) => {
  const retirements = new Retirements({ origins: { 'n1~a': 4 }, nodes: [] });
  const stamper = stamperAt(1, { 'n1~a': 4, n2: 1 }, retirements);
  t.notOk('n1~a' in stamper.stampOwn({ type: 'Ping' }, null).envelope.vc, 'folded at its final seq');
  t.equal(stamper.stampOwn({ type: RETIRED_TYPE, data: { origins: { 'n1~a': 4 } } }, null).envelope.vc['n1~a'], 4);
});
