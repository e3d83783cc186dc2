/**
 * A peer's clocks after it acknowledged more (`runtime/peer-state.ts` `settlePeerClocks`):
 * they move onto the node's floor once they reach it, and the per-link ones let go of
 * retired origins the acknowledged clock covers, reading as before wherever that matters.
 */
import t from 'tap';
import { clockFloor, floorOf, NO_FLOOR } from '../protocol/clock-floor.js';
import { clockEntries, inflight, newPeer, settlePeerClocks } from '../runtime/peer-state.js';

const floor = clockFloor(
  new Map([
    ['n3~a', [{ origin: 'n3~b', seq: 1, final: 4 }]],
    ['n3~b', [{ origin: 'n3~c', seq: 1, final: 2 }]],
  ]),
);

t.test('a peer that caught up holds entries for live origins only, and reads the retired ones at their final seqs', async (t) => {
  const peer = newPeer('n2', { 'n1~x': 5, 'n3~a': 4, 'n3~b': 2, 'n3~c': 1 }, true, floor);
  t.same(Object.keys(peer.acked).sort(), ['n1~x', 'n3~c'], 'a stored clock that reaches the floor is put on it');
  t.equal(peer.acked['n3~a'], 4);
  peer.heard = { 'n3~a': 4, 'n3~c': 1 };
  peer.proved = { 'n3~b': 2 };
  peer.covered = { 'n3~a': 3 };
  peer.sent['n3~c'] = 3;
  settlePeerClocks(peer, floor);
  t.same(peer.heard, { 'n3~c': 1 }, 'a retired origin the ack covers leaves the per-link clocks; a live one stays');
  t.same(peer.proved, {});
  t.same(peer.covered, {});
  t.equal(inflight(peer), 2, 'what was sent and not acknowledged reads as before');
  t.same(clockEntries([peer]), { acked: 2, sent: 2, link: 1 });
});

t.test('a peer behind the floor keeps its clocks as they are, and so what the per-link ones say', async (t) => {
  const peer = newPeer('n4', { 'n3~a': 1 }, true, floor);
  t.equal(floorOf(peer.acked), NO_FLOOR, 'one that never counted what the floor retires is not put on it');
  peer.heard = { 'n3~a': 3 };
  settlePeerClocks(peer, floor);
  t.equal(floorOf(peer.acked), NO_FLOOR);
  t.same(peer.heard, { 'n3~a': 3 }, 'what it sent beyond its ack stays known: it is not sent back');
  t.equal(peer.acked['n3~b'] ?? 0, 0, 'and an origin it never counted reads 0');
});
