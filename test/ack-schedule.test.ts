/**
 * What a node keeps of peers' acks on a floor (`runtime/ack-schedule.ts`): a retired
 * origin's entries leave a peer's clocks once its ack covers them, whichever order the
 * events and the acks came in, while every clock reads as before.
 */
import t from 'tap';
import { SimulatedClock } from 'xstate';
import { clockFloor, floorOf } from '../protocol/clock-floor.js';
import { AckSchedule } from '../runtime/ack-schedule.js';
import { clockEntries, newPeer, type Peer } from '../runtime/peer-state.js';

// n3~b:1 retired n3~a at 4.
const floor = clockFloor(new Map([['n3~a', [{ origin: 'n3~b', seq: 1, final: 4 }]]]));

function schedule(peer: Peer): AckSchedule {
  return new AckSchedule({ peers: new Map([[peer.id, peer]]), clock: new SimulatedClock(), committed: () => ({}), ackDelayMs: 25, floor: () => floor });
}

t.test('a peer on the floor that relays a retired origin\'s events its ack covers keeps no entry for them', async (t) => {
  const peer = newPeer('n2', { 'n1~x': 5, 'n3~a': 4, 'n3~b': 1 }, true, floor);
  t.equal(floorOf(peer.acked), floor, 'its stored ack reaches the floor');
  const acks = schedule(peer);
  acks.received(peer, [{ origin: 'n3~a', seq: 3 }, { origin: 'n1~x', seq: 6 }], 2, false);
  acks.acknowledged(peer, { 'n1~x': 7 });
  t.same(peer.heard, { 'n1~x': 6 }, 'what it sent of the retired origin says nothing its ack does not');
  t.equal(peer.acked['n1~x'], 7);
  t.equal(peer.acked['n3~a'], 4, 'the retired origin reads at its final seq');
  t.same(clockEntries([peer]), { acked: 2, sent: 2, link: 1 });
});

t.test('a peer behind the floor moves onto it, and lets the retired origin go, once it acknowledges it', async (t) => {
  const peer = newPeer('n4', { 'n1~x': 1, 'n3~a': 2 }, true, floor);
  t.not(floorOf(peer.acked), floor, 'behind the floor, its ack stays off it');
  const acks = schedule(peer);
  acks.received(peer, [{ origin: 'n3~a', seq: 3 }], 1, false);
  t.same(peer.heard, { 'n3~a': 3 }, 'what it sent beyond its ack is kept: it is not sent back');
  acks.acknowledged(peer, { 'n1~x': 2 });
  t.same(peer.heard, { 'n3~a': 3 }, 'still beyond its ack');
  acks.acknowledged(peer, { 'n3~a': 4, 'n3~b': 1 });
  t.equal(floorOf(peer.acked), floor, 'acknowledging the final seq puts it on the floor');
  t.same(Object.keys(peer.acked).sort(), ['n1~x', 'n3~b']);
  t.equal(peer.acked['n3~a'], 4);
  t.same(peer.heard, {}, 'and the per-link clocks let the retired origin go');
});
