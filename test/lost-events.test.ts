/**
 * Pins when a member counts events as lost after peers told it they no longer hold them
 * (`lost` frames): only once every peer able to send them said so and the grace period
 * passed; never what a linked peer can still send, never what it delivered, never twice.
 * Time is XState's `SimulatedClock`, so the grace period passes only when a test says.
 */
import t from 'tap';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import type { VectorClock } from '../protocol/envelope.js';
import type { SkipRange } from '../protocol/frame.js';
import { LostEvents, lostNow, type PeerClaim } from '../runtime/lost-events.js';
import { SkipRanges } from '../runtime/skips.js';

const GRACE = 5000;

const told = (ranges: [string, number, number][]): SkipRanges => {
  const out = new SkipRanges();
  for (const [origin, from, to] of ranges) out.add(origin, from, to);
  return out;
};

const peer = (id: string, clock: VectorClock, linked = true, relays = true): PeerClaim => ({ id, clock, linked, relays });

t.test('lostNow counts what every able peer that spoke of an origin no longer holds, less what a linked peer that said nothing holds', async (t) => {
  const notices = new Map([['a', told([['c~1', 1, 50]])]]);
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 })], {}), [{ origin: 'c~1', from: 1, to: 50 }], 'one peer that removed them, no other: lost');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 })], { 'c~1': 20 }), [{ origin: 'c~1', from: 21, to: 50 }], 'never what this node delivered');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80 })], {}), [], 'a linked peer that holds them all: nothing lost');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 30 })], {}), [{ origin: 'c~1', from: 31, to: 50 }], 'a linked peer holding only the first 30: the rest is lost');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80 }, false)], {}), [{ origin: 'c~1', from: 1, to: 50 }], 'a peer offline is not waited for');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 }), peer('p', { 'c~1': 80 }, true, false)], {}), [{ origin: 'c~1', from: 1, to: 50 }], 'a partial peer relays nothing of another node: it cannot fill the gap');
  t.same(lostNow(notices, [peer('a', { 'c~1': 80 }), peer('c', { 'c~1': 80 }, true, false)], {}), [], 'the origin\'s own node, even partial, sends its own events');
  const two = new Map([['a', told([['c~1', 1, 50]])], ['b', told([['c~1', 1, 20], ['d', 1, 4]])]]);
  t.same(lostNow(two, [peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80, d: 9 })], {}), [{ origin: 'c~1', from: 1, to: 20 }, { origin: 'd', from: 1, to: 4 }], 'two peers that removed different amounts: what both lack');
});

/** A LostEvents over `peers`, delivering into `delivered`; what it applied is in `applied`. */
function setup(peers: PeerClaim[], delivered: VectorClock = {}) {
  const clock = new SimulatedClock();
  const applied: SkipRange[][] = [];
  const counted: number[] = [];
  const lost = new LostEvents({
    clock, graceMs: GRACE, log: pino({ level: 'silent' }), peers: () => peers, delivered: () => delivered,
    apply: (ranges) => {
      applied.push([...ranges]);
      for (const r of ranges) delivered[r.origin] = Math.max(delivered[r.origin] ?? 0, r.to);
    },
    counted: (n) => counted.push(n),
  });
  t.teardown(() => lost.stop());
  return { clock, lost, applied, counted, peers, delivered };
}

t.test('a member counts events as lost only after the grace period, and says so in its view', async (t) => {
  const { clock, lost, applied, counted } = setup([peer('a', { 'c~1': 80 })], { 'c~1': 10 });
  lost.notice('a', 61, [{ origin: 'c~1', from: 11, to: 50 }]);
  t.same(lost.view(), { events: 0, pending: 40 }, 'waiting: 40 pending');
  clock.increment(GRACE - 1);
  t.same(applied, [], 'nothing counted before the grace period');
  clock.increment(1);
  t.same(applied, [[{ origin: 'c~1', from: 11, to: 50 }]], 'counted once the grace period passed');
  t.same(counted, [40]);
  t.same(lost.view(), { events: 40, pending: 0, fromPeer: 'a', at: clock.now() }, 'the view says how many, from whom and when');
  lost.notice('a', 61, [{ origin: 'c~1', from: 11, to: 50 }]);
  clock.increment(GRACE * 2);
  t.same(applied.length, 1, 'a repeated notice of what is counted already counts nothing again');
});

t.test('a member whose lack another linked peer can fill waits, and counts nothing once that peer sent it', async (t) => {
  const { clock, lost, applied, delivered } = setup([peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80 })]);
  lost.notice('a', 61, [{ origin: 'c~1', from: 1, to: 50 }]);
  clock.increment(GRACE * 3);
  t.same(applied, [], 'b holds them: not fast-forwarded');
  t.same(lost.view(), { events: 0, pending: 50 }, 'still waiting for them');
  delivered['c~1'] = 50; // b sent them
  clock.increment(GRACE);
  t.same(applied, [], 'nothing was lost');
  t.same(lost.view(), undefined, 'nothing to show once they arrived');
});

t.test('a member waits for a second peer that also removed them to say so, then counts what neither holds', async (t) => {
  const { clock, lost, applied } = setup([peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80 })]);
  lost.notice('a', 61, [{ origin: 'c~1', from: 1, to: 50 }]);
  clock.increment(GRACE);
  t.same(applied, [], 'b said nothing yet');
  lost.notice('b', 31, [{ origin: 'c~1', from: 1, to: 25 }]);
  clock.increment(GRACE);
  t.same(applied, [[{ origin: 'c~1', from: 1, to: 25 }]], 'only what neither holds is lost; b sends 26…50');
});
