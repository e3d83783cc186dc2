/**
 * Node keys across a lost disk. A node with keys whose data dir is wiped restarts under a
 * new incarnation: it gets the events of its earlier origin back from a peer, each checked
 * against the checkpoint it signed before the loss (forwarded by the peer from its store),
 * and it signs its new origin's events with the same key, which the peer verifies. The
 * checkpoints it got back are stored with the history, so it forwards them in turn to a
 * node that links to it later.
 */
import { rm } from 'node:fs/promises';
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import { tails, waitForLinks } from './helpers/convergence.js';
import { testKeys } from './helpers/keyed-peer.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'keyed-disk-loss-secret';

/** Publishes `n` Pings on `node`, numbered from `from`; answers the origin they were stamped under. */
async function publishPings(node: NodeProcess, from: number, n: number): Promise<string> {
  let origin = '';
  for (let i = from; i < from + n; i++) origin = (await node.admin.publish('Ping', { i })).origin;
  return origin;
}

/** Waits until `node`'s clock counts `counts` (origin → seq). */
async function waitForCounts(node: NodeProcess, counts: Record<string, number>, nodes: readonly NodeProcess[], what: string): Promise<void> {
  await waitFor(() => node.admin.status(), {
    until: (s) => Object.entries(counts).every(([origin, seq]) => s.vc[origin] === seq),
    failFast: crashed(nodes),
    timeout: 60_000,
    message: () => `${what}\n${tails(nodes)}`,
    describe: (s) => JSON.stringify(s.vc),
  });
}

t.test('a keyed node whose data dir was wiped gets its signed history back, and its new origin\'s events verify at its peers', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2', 'n3']);
  const n1 = await startNode(t, { id: 'n1', secret: SECRET, extraArgs: keys.args('n1') });
  const n2 = await startNode(t, { id: 'n2', secret: SECRET, peers: [n1.wsUrl], extraArgs: keys.args('n2') });
  const nodes = [n1, n2];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2']]);
  const before = await publishPings(n1, 0, 5);
  await waitForCounts(n2, { [before]: 5 }, nodes, 'n2 to verify and take n1\'s five events');
  const published = (await n1.admin.log()).map((e) => [e.id, e.data]);

  await n1.kill9();
  await rm(n1.data, { recursive: true, force: true });
  await n1.restart();
  await waitForCounts(n1, { [before]: 5 }, nodes, 'n1 to get its earlier events back from n2');
  const back = (await n1.admin.log()).filter((e) => e.origin === before).map((e) => [e.id, e.data]);
  t.same(back, published, 'n1 took back its earlier origin\'s events as it published them, checked against its own checkpoints');

  const after = await publishPings(n1, 5, 3);
  t.not(after, before, 'n1 stamps under a new origin');
  t.equal(nodeOf(after), 'n1', 'of the same node');
  // Once its actors are rebuilt, n1 retires its earlier origin (`protocol/retirement.ts`): one more event of the new one.
  const retired = await waitFor(() => n1.admin.status(), {
    until: (s) => s.retired?.origins.some((o) => o.origin === before) === true,
    failFast: crashed(nodes),
    message: () => `n1 to retire ${before}\n${tails(nodes)}`,
  });
  const stamped = retired.vc[after];
  t.equal(stamped, 4, 'three Pings and the retirement of the earlier origin');
  await waitForCounts(n2, { [before]: 5, [after]: stamped }, nodes, 'n2 to verify and take the events of n1\'s new origin');
  t.pass('n2 verified the checkpoints n1 signed under its new origin with the same key');

  // n3 links to n1 alone, with n2 gone: n1 forwards the checkpoints it got back with its history.
  await n2.stop();
  const n3 = await startNode(t, { id: 'n3', secret: SECRET, peers: [n1.wsUrl], extraArgs: keys.args('n3') });
  nodes.push(n3);
  await waitForCounts(n3, { [before]: 5, [after]: stamped }, [n1, n3], 'n3 to verify both of n1\'s origins, from n1 alone');
  t.pass('n1 stored the checkpoints of its earlier origin with the history it got back, and forwards them');

  const refused = nodes.flatMap((n) => n.records((r) => r.code === 'TROUPE_PEER_FORGED_EVENT' || r.code === 'TROUPE_PEER_KEY_REJECTED'));
  t.same(refused, [], 'no link was refused on the way');
});
