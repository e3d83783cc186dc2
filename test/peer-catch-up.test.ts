/**
 * The catch-up progress `/status` shows for each peer (issue 16): while an outbox drains,
 * how fast the peer acknowledges and the time to go at that pace (`runtime/peer-state.ts`
 * `sampleAckRate`, `peerView`); `troupe status` prints it as `N left, R/s, ~Ts`.
 */
import t from 'tap';
import { newPeer, peerView, sampleAckRate, type Peer } from '../runtime/peer-state.js';

/** A peer linked now (the view only asks whether it has a link). */
function linkedPeer(): Peer {
  const peer = newPeer('d1', {});
  peer.link = {} as Peer['link'];
  return peer;
}

t.test('a draining outbox shows the pace of acknowledgements and the time to go', async (t) => {
  const peer = linkedPeer();
  const committed = { gw: 100_000 };
  sampleAckRate(peer, 0, 0);
  t.notOk('catchUp' in peerView(peer, committed), 'no pace before a second sample');
  peer.acked = { gw: 20_000 };
  sampleAckRate(peer, 20_000, 1_000);
  const view = peerView(peer, committed);
  t.equal(view.outbox, 80_000, 'the outbox counts what the peer lacks');
  t.same(view.catchUp, { rate: 20_000, etaMs: 4_000 }, '20,000 events/s, 4 s to go');
  peer.acked = { gw: 70_000 };
  sampleAckRate(peer, 70_000, 2_000);
  t.same(peerView(peer, committed).catchUp, { rate: 35_000, etaMs: Math.round((30_000 / 35_000) * 1000) }, 'the pace is smoothed over samples');
});

t.test('no progress is shown for an empty outbox or a peer that is not linked', async (t) => {
  const peer = linkedPeer();
  sampleAckRate(peer, 0, 0);
  peer.acked = { gw: 10 };
  sampleAckRate(peer, 10, 1_000);
  t.notOk('catchUp' in peerView(peer, { gw: 10 }), 'nothing left to send');
  peer.link = null;
  t.notOk('catchUp' in peerView(peer, { gw: 50 }), 'a peer not linked makes no progress');
});
