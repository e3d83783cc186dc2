/**
 * Interest end to end between one sender and one partial receiver, without processes: the
 * sender walks its log (a causal history in publication order) and builds its stream with
 * `StreamSegment`, events for the types the receiver wants and skip notices for the rest;
 * the receiver takes frames into its `Intake` and drains at random points. Streams restart
 * from earlier points, as after a reconnect, so frames repeat.
 */
import t from 'tap';
import fc from 'fast-check';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { Intake } from '../runtime/intake.js';
import type { PeerLink } from '../runtime/peer-state.js';
import { StreamSegment } from '../runtime/skip-notices.js';
import { causalHistory, deliversCausally, id, type Ev } from './helpers/causal-history.js';

const TYPES = ['a', 'b', 'c'];

/** A link that hands every frame to `onFrame`. */
function fakeLink(onFrame: (frame: Frame) => void): PeerLink {
  return { peer: 'r', origin: 'r', bufferedAmount: 0, send: onFrame, close() {}, pause() {}, resume() {} };
}

const scenario = fc.record({
  events: causalHistory,
  typeSeeds: fc.array(fc.nat(), { minLength: 1 }),
  wanted: fc.subarray(TYPES),
  chunk: fc.integer({ min: 1, max: 20 }),
  restarts: fc.array(fc.nat(), { maxLength: 3 }),
  drains: fc.array(fc.boolean(), { minLength: 1 }),
});

t.test('a partial receiver delivers exactly the events it wants, in causal order, once each, and counts the rest', async (t) => {
  fc.assert(
    fc.property(scenario, ({ events, typeSeeds, wanted, chunk, restarts, drains }) => {
      const typeOf = (i: number): string => TYPES[typeSeeds[i % typeSeeds.length] % TYPES.length];
      const bytes = new Map<EncodedEvent, Ev>();
      const encoded = events.map((e) => {
        const b = new Uint8Array(1);
        bytes.set(b, e);
        return b;
      });

      const intake = new Intake<Ev>(10_000);
      const delivered: VectorClock = {};
      const order: Ev[] = [];
      const skipped = new Set<string>();
      let frames = 0;
      const drain = (): void =>
        intake.drain(delivered, (e) => order.push(e), (origin, from, to) => {
          for (let s = from; s <= to; s++) skipped.add(`${origin}:${s}`);
        });
      const link = fakeLink((frame) => {
        if (frame.type === 'skip') for (const r of frame.ranges) intake.addSkip(r.origin, r.from, r.to, delivered);
        if (frame.type === 'events') for (const b of frame.events) intake.add(bytes.get(b)!, delivered);
        if (drains[frames++ % drains.length]) drain();
      });

      // The sender streams from the start, then again from earlier points (a rewind).
      const starts = [0, ...restarts.map((r) => r % Math.max(1, events.length))];
      for (const start of starts) {
        for (let from = start; from < events.length; from += chunk) {
          const out = new StreamSegment(link);
          for (let i = from; i < Math.min(events.length, from + chunk); i++) {
            if (wanted.includes(typeOf(i))) out.event(events[i].origin, encoded[i]);
            else out.skip(events[i].origin, events[i].seq);
          }
          out.flush();
        }
      }
      drain();

      const want = events.filter((_, i) => wanted.includes(typeOf(i)));
      const left = events.filter((_, i) => !wanted.includes(typeOf(i)));
      const full: VectorClock = {};
      for (const e of events) full[e.origin] = Math.max(full[e.origin] ?? 0, e.seq);
      return (
        intake.size === 0 &&
        deliversCausally(want, order) &&
        skipped.size === left.length &&
        left.every((e) => skipped.has(id(e))) &&
        Object.keys(full).every((o) => delivered[o] === full[o])
      );
    }),
    { numRuns: 400 },
  );
  t.pass('property holds');
});

t.test('a skip run that arrives ahead of its origin waits aside until the seq before it is delivered', async (t) => {
  const intake = new Intake<Ev>(10);
  const delivered: VectorClock = {};
  const order: string[] = [];
  const skips: string[] = [];
  t.equal(intake.addSkip('a', 2, 3, delivered), 'fresh', 'taken');
  intake.drain(delivered, (e) => order.push(id(e)), (o, f, l) => skips.push(`${o}:${f}-${l}`));
  t.same(skips, [], 'not applied while a:1 is missing');
  intake.add({ origin: 'a', seq: 1, vc: { a: 1 } }, delivered);
  intake.add({ origin: 'a', seq: 4, vc: { a: 4 } }, delivered);
  intake.drain(delivered, (e) => order.push(id(e)), (o, f, l) => skips.push(`${o}:${f}-${l}`));
  t.same(order, ['a:1', 'a:4'], 'a:4 is delivered once the skip run covers a:2 and a:3');
  t.same(skips, ['a:2-3'], 'the run is applied between them');
  t.equal(delivered.a, 4, 'the clock counts all four');
  t.equal(intake.addSkip('a', 1, 3, delivered), 'duplicate', 'a run the clock counts is a duplicate');
});
