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
import { LostEvents, lostNow, settledNow, type PeerClaim } from '../runtime/lost-events.js';
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

t.test('settledNow lets go of an asked-for seq only once no known peer able to send it may hold it', async (t) => {
  const asked = told([['c~1', 1, 50]]);
  const claim = new Map([['m', told([['c~1', 1, 50]])]]);
  t.same(settledNow(asked, claim, [peer('m', {}), peer('h', { 'c~1': 80 }, false)]), [], 'a known peer offline that said nothing may hold them: still asked for');
  t.same(settledNow(asked, claim, [peer('m', {}), peer('h', { 'c~1': 30 }, true)]), [], 'a linked peer that does not count them yet may still get them: still asked for');
  t.same(settledNow(asked, claim, [peer('m', {}), peer('p', { 'c~1': 80 }, false, false)]), [{ origin: 'c~1', from: 1, to: 50 }], 'a partial peer never sends another node\'s events: it does not hold them back');
  const both = new Map([...claim, ['h', told([['c~1', 10, 50]])]]);
  t.same(settledNow(asked, both, [peer('m', {}), peer('h', { 'c~1': 80 }, false)]), [{ origin: 'c~1', from: 10, to: 50 }], 'settled where both said they no longer hold them, linked or not');
  t.same(settledNow(asked, new Map(), []), [{ origin: 'c~1', from: 1, to: 50 }], 'no known peer could send them: settled');
});

/** A LostEvents over `peers`, delivering into `delivered`; what it applied is in `applied` (and asked for, in `asked`). */
function setup(peers: PeerClaim[], delivered: VectorClock = {}) {
  const clock = new SimulatedClock();
  const applied: SkipRange[][] = [];
  const counted: number[] = [];
  const asked = new SkipRanges();
  const settled: SkipRange[][] = [];
  const lost = new LostEvents({
    clock, graceMs: GRACE, log: pino({ level: 'silent' }), peers: () => peers, delivered: () => delivered,
    apply: (ranges, ask) => {
      applied.push([...ranges]);
      for (const r of ranges) delivered[r.origin] = Math.max(delivered[r.origin] ?? 0, r.to);
      for (const r of ask) asked.add(r.origin, r.from, r.to);
    },
    asked: () => asked,
    settle: (ranges) => {
      settled.push([...ranges]);
      for (const r of ranges) asked.remove(r.origin, r.from, r.to);
    },
    counted: (n) => counted.push(n),
  });
  t.teardown(() => lost.stop());
  return { clock, lost, applied, counted, peers, delivered, asked, settled };
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

t.test('a claim from one peer while a known peer that may hold the seqs is offline counts them, yet keeps asking for them', async (t) => {
  const peers = [peer('m', {}), peer('h', { 'c~1': 50 }, false)];
  const { clock, lost, applied, asked, settled } = setup(peers);
  lost.notice('m', 1, [{ origin: 'c~1', from: 1, to: 50 }]);
  clock.increment(GRACE);
  t.same(applied, [[{ origin: 'c~1', from: 1, to: 50 }]], 'h is offline: the wait ends and delivery goes on');
  t.same(asked.ranges('c~1'), [[1, 50]], 'but h said nothing: every seq is still asked for');
  t.match(lost.view(), { events: 50, pending: 0, asking: 50 }, '/status shows them as asked for');
  t.ok(lost.waitingOrigins().has('c~1'), 'relays are asked to send the origin');
  peers[1] = peer('h', { 'c~1': 50 }, true);
  lost.notice('h', 20, [{ origin: 'c~1', from: 1, to: 19 }]);
  t.same(settled, [[{ origin: 'c~1', from: 1, to: 19 }]], 'h linked and said it lacks 1…19 too: those are settled');
  t.same(asked.ranges('c~1'), [[20, 50]], 'h still holds 20…50: asked for');
  lost.notice('h', 51, [{ origin: 'c~1', from: 1, to: 50 }]);
  t.ok(asked.empty, 'h lost the rest too: nothing is asked for');
  t.notOk(lost.waitingOrigins().has('c~1'), 'and relays are no longer asked to send the origin');
});

t.test('seqs every known peer able to send them said it no longer holds are counted and not asked for', async (t) => {
  const { clock, lost, applied, asked } = setup([peer('a', { 'c~1': 80 }), peer('b', { 'c~1': 80 }, false)]);
  lost.notice('a', 61, [{ origin: 'c~1', from: 1, to: 50 }]);
  lost.notice('b', 41, [{ origin: 'c~1', from: 1, to: 40 }]);
  clock.increment(GRACE);
  t.same(applied, [[{ origin: 'c~1', from: 1, to: 40 }]], 'what both lack is counted');
  t.ok(asked.empty, 'both said so: nothing is asked for, the told clock is not lowered');
  t.same(lost.view(), { events: 40, pending: 10, fromPeer: 'a', at: clock.now() }, 'b may still send 41…50');
});

t.test('a relay that still asks for seqs itself is no proof they are gone: they stay asked for until it settles them', async (t) => {
  const peers = [peer('r', {})];
  const { clock, lost, applied, asked } = setup(peers);
  lost.notice('r', 1, [{ origin: 'c~1', from: 1, to: 10 }], [{ origin: 'c~1', from: 1, to: 10 }]);
  clock.increment(GRACE);
  t.same(applied, [[{ origin: 'c~1', from: 1, to: 10 }]], 'counted, so that delivery goes on');
  t.same(asked.ranges('c~1'), [[1, 10]], 'but asked for, since the relay asks for them too');
  lost.notice('r', 1, [{ origin: 'c~1', from: 1, to: 10 }], [{ origin: 'c~1', from: 6, to: 10 }]);
  t.same(asked.ranges('c~1'), [[6, 10]], 'the relay settled 1…5: so does this node');
});
