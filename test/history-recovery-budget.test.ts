/**
 * A peer's claims about this node's lost history are bounded (issue 15, "no single frame
 * wedges a node"): each peer's claims may hold the actors for the longest wait in all
 * during one start, so repeating a forged `want` after a give-up, or leaving and linking
 * again before each give-up, cannot hold them again and again (`runtime/history-recovery.ts`).
 */
import t from 'tap';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { HistoryRecovery } from '../runtime/history-recovery.js';

const WAIT = 60_000;
const FORGED = { 'n1~old': Number.MAX_SAFE_INTEGER };

function recovery(): { recovery: HistoryRecovery; clock: SimulatedClock } {
  const clock = new SimulatedClock();
  const log = pino({ level: 'silent' });
  return { recovery: new HistoryRecovery({ node: 'n1', origin: 'n1~now', log, clock, maxWaitMs: WAIT, held: false, onChange: () => {} }), clock };
}

t.test('a claim given up on, told again by the same peer, does not hold the actors again', async (t) => {
  const { recovery: r, clock } = recovery();
  r.peerClock('mallory', FORGED, {});
  t.ok(r.waiting({}), 'the first claim holds the actors');
  clock.increment(WAIT + 1);
  t.notOk(r.waiting({}), 'it is given up after the longest wait');
  r.peerClock('mallory', FORGED, {});
  t.notOk(r.waiting({}), 'the same claim again holds nothing');
  r.peerClock('mallory', { 'n1~other': 3 }, {});
  t.notOk(r.waiting({}), 'nor does a claim on another earlier origin');
  r.peerClock('n2', { 'n1~other': 3 }, {});
  t.ok(r.waiting({}), 'another peer\'s claim is still waited for');
});

t.test('a peer that leaves and links again before each give-up holds the actors for the longest wait in all', async (t) => {
  const { recovery: r, clock } = recovery();
  r.peerClock('mallory', FORGED, {});
  clock.increment(40_000);
  r.peerGone('mallory');
  t.notOk(r.waiting({}), 'its claim is dropped when it leaves');
  r.peerClock('mallory', FORGED, {});
  t.ok(r.waiting({}), 'linked again, 20 s of its wait are left');
  clock.increment(19_999);
  t.ok(r.waiting({}), 'still held just before they run out');
  clock.increment(1);
  t.notOk(r.waiting({}), 'let go once 60 s were held in all, though its link stays up');
  r.peerGone('mallory');
  r.peerClock('mallory', FORGED, {});
  t.notOk(r.waiting({}), 'after 60 s held in all, its claims are not waited for');
});

t.test('a give-up charges each peer only the time its own claim held the actors', async (t) => {
  const { recovery: r, clock } = recovery();
  r.peerClock('mallory', FORGED, {});
  clock.increment(59_000);
  r.peerClock('n2', { 'n1~old': 5 }, {});
  clock.increment(1_000);
  t.notOk(r.waiting({}), 'given up after the longest wait');
  r.peerClock('n2', { 'n1~old': 5 }, {});
  t.ok(r.waiting({}), 'the peer that claimed a second before is waited for again');
  r.peerClock('mallory', FORGED, {});
  t.same(r.claimed(), { 'n1~old': 5 }, 'the peer that claimed all along is not: only the second peer\'s claim holds the actors');
});

t.test('a peer whose claim was met in time is waited for again', async (t) => {
  const { recovery: r, clock } = recovery();
  r.peerClock('n2', { 'n1~old': 5 }, {});
  clock.increment(5_000);
  t.notOk(r.waiting({ 'n1~old': 5 }), 'the claimed events arrived');
  r.peerClock('n2', { 'n1~old': 9 }, { 'n1~old': 5 });
  t.ok(r.waiting({ 'n1~old': 5 }), 'a later claim of the same peer holds the actors again');
});
