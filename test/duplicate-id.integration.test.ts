/**
 * Two live processes started with one node id (each with its own data dir) never merge
 * into one sequence: the peer they both link to keeps the first and refuses the second,
 * loudly, on both sides.
 */
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'duplicate-secret';

t.test('a second process with a linked node id is refused by the peer, logged on both sides and shown in /status', async (t) => {
  const p = await startNode(t, { id: 'p', secret: SECRET });
  const first = await startNode(t, { id: 'a', secret: SECRET, peers: [p.wsUrl] });
  const nodes = [p, first];
  dumpOnFailure(t, () => nodes);
  await waitFor(() => p.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.peers.some((peer) => peer.id === 'a' && peer.connected),
    message: () => `p to link to the first a\n${p.tail()}`,
  });
  await first.admin.publish('Ping', { from: 'first' });

  const second = await startNode(t, { id: 'a', secret: SECRET, peers: [p.wsUrl] });
  nodes.push(second);
  const refusal = await p.waitForRecord((r) => r.code === 'TROUPE_PEER_DUPLICATE_ID', 'that it refused a second process of a');
  t.match(refusal, { peer: 'a', closeCode: 4423 }, 'p names the node id and the close code');
  t.not(refusal.instance, refusal.linkedInstance, 'the two processes told different instance ids');
  const refused = await second.waitForRecord((r) => r.code === 'TROUPE_PEER_DUPLICATE_ID', 'that p refused it as a second process of a');
  t.match(refused, { peer: 'p' });
  t.same(first.records((r) => r.code === 'TROUPE_PEER_DUPLICATE_ID'), [], 'the first process is left alone');

  const onP = await p.admin.status();
  t.match(onP.duplicates, [{ node: 'a', refusedBy: 'p', at: Number }], 'p shows the conflict in /status');
  t.ok(onP.peers.some((peer) => peer.id === 'a' && peer.connected), 'p keeps its link to the first a');
  // Each redial of the second a passes its own side of the handshake for a moment before
  // p's refusal arrives: between redials it is linked to nobody.
  const onSecond = await waitFor(() => second.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => !s.peers.some((peer) => peer.connected),
    message: () => `the second a to be linked to nobody\n${second.tail()}`,
  });
  t.match(onSecond.duplicates, [{ node: 'a', refusedBy: 'p' }], 'the second a shows why it has no link');

  // The second process stamps under an origin of its own, at once; p takes none of it while
  // the second process is refused, and each origin stays one sequence.
  const fromSecond = await second.admin.publish('Ping', { from: 'second' });
  const again = await first.admin.publish('Ping', { from: 'first' });
  t.not(fromSecond.origin, again.origin, 'the two processes stamp under different origins');
  const fromA = await waitFor(async () => (await p.admin.log()).filter((e) => nodeOf(e.origin) === 'a'), {
    failFast: crashed(nodes),
    until: (events) => events.length >= 2,
    message: () => `p to hold the first a's two events\n${p.tail()}`,
  });
  t.same(fromA.map((e) => [e.id, e.data]), [[`${again.origin}:1`, { from: 'first' }], [again.id, { from: 'first' }]], 'p holds the first process\'s events only');
});
