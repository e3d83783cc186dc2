/** Pins the reuse of repeated event clocks: same results as a fresh read, never shared between events. */
import t from 'tap';
import { decodeEvent, encodeEvent, eventHeaderAndType } from '../protocol/event-codec.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';

/** Twenty origins besides the event's: more entries than V8 keeps in fast mode when stored one by one. */
const others: VectorClock = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}~x`, 100 + i]));

const event = (origin: string, seq: number, vc: VectorClock): Omit<Envelope, 'id'> => ({
  origin, seq, schema: 1, vc: { ...vc, [origin]: seq }, type: 'reading', correlationId: 'w', causationId: null, ts: 1, data: { seq },
});

t.test('events with byte-identical clocks each decode to the clock they carry', async (t) => {
  for (let seq = 1; seq <= 5; seq++) {
    t.same(decodeEvent(encodeEvent(event('a~1', seq, others))).vc, { ...others, 'a~1': seq }, `seq ${seq}`);
  }
});

t.test('a clock one event hands out is its own: changing it changes no later event', async (t) => {
  const first = decodeEvent(encodeEvent(event('b~1', 1, others)));
  (first.vc as Record<string, number>)['p0~x'] = 999;
  delete (first.vc as Record<string, number>)['p1~x'];
  const second = decodeEvent(encodeEvent(event('b~1', 2, others)));
  const third = decodeEvent(encodeEvent(event('b~1', 3, others)));
  (second.vc as Record<string, number>)['p2~x'] = 999;
  t.same(third.vc, { ...others, 'b~1': 3 });
  t.not(second.vc, third.vc, 'two events never share a clock object');
});

t.test('a clock that differs from its origin’s last by one count is read afresh', async (t) => {
  decodeEvent(encodeEvent(event('c~1', 1, others)));
  const moved = { ...others, 'p19~x': 120 };
  t.same(decodeEvent(encodeEvent(event('c~1', 2, moved))).vc, { ...moved, 'c~1': 2 });
  t.same(decodeEvent(encodeEvent(event('c~1', 3, others))).vc, { ...others, 'c~1': 3 });
});

t.test('the same clock bytes under another origin are checked for that origin', async (t) => {
  const kept = encodeEvent(event('q~xx', 1, others));
  t.same(decodeEvent(kept).vc, { ...others, 'q~xx': 1 });
  // q~xx's event with its origin (the first field) renamed p0~x: its clock, the bytes just
  // kept for q~xx, names p0~x, which an event of p0~x must not.
  const hexOf = (s: string): string => Buffer.from(s).toString('hex');
  const renamed = Buffer.from(Buffer.from(kept).toString('hex').replace(hexOf('q~xx'), hexOf('p0~x')), 'hex');
  t.throws(() => decodeEvent(renamed), { code: 'TROUPE_PROTOCOL_BAD_EVENT', message: /holds the origin p0~x/ });
});

t.test('a header read steps over repeated and changed clocks alike', async (t) => {
  const moved = { ...others, 'p3~x': 7 };
  const clocks = [others, others, moved, moved, others];
  clocks.forEach((vc, i) => {
    const e = { ...event('h~1', i + 1, vc), type: `t${i}` };
    t.same(eventHeaderAndType(encodeEvent(e)), { origin: 'h~1', seq: i + 1, type: `t${i}` }, `event ${i + 1}`);
  });
});
