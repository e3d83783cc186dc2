import t from 'tap';
import type { NodeProcess } from './helpers/node-process.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { statuses, tails, waitForLinkDown, waitForLinks } from './helpers/convergence.js';
import { orderActors, orderDone } from './helpers/order-workflow.js';
import { waitFor } from './helpers/wait-for.js';

/** `POST /links/:peer/cut|heal` on `node`; the answer. */
async function link(node: NodeProcess, peer: string, op: 'cut' | 'heal') {
  return node.admin.request('POST', `/links/${peer}/${op}`);
}

t.test('a cut link stays down while orders are placed, its outbox grows, and healing drains it', async (t) => {
  const cluster = await startOrdersCluster(t, { extraArgs: ['--chaos'] });
  const { n1, n2, n3, nodes } = cluster;
  dumpOnFailure(t, () => nodes);

  // n3 (shipping) dials n1 and n2; it cuts both, so the cluster splits into {n1, n2} and {n3}.
  // Its log is read from a pipe that may lag, so links are told apart by when they came up, not counted.
  const cutAt = Date.now();
  const linkUpsSinceCut = (): number => n3.records((r) => r.msg === 'link up' && typeof r.time === 'number' && r.time >= cutAt).length;
  t.same((await link(n3, 'n1', 'cut')).body, { peer: 'n1', cut: true });
  t.same((await link(n3, 'n2', 'cut')).body, { peer: 'n2', cut: true });
  await waitForLinkDown(nodes, 'n1', 'n3');
  await waitForLinkDown(nodes, 'n2', 'n3');
  const n3LogAtCut = (await n3.admin.status()).log.size;

  const orderIds = ['o-cut-1', 'o-cut-2', 'o-cut-3'];
  for (const [i, orderId] of orderIds.entries()) {
    await (i % 2 === 0 ? n1 : n2).admin.publish('OrderPlaced', { orderId, sku: 'widget', qty: 1, amount: 40 + i }, orderId);
  }
  // Each order runs as far as the mainland can take it: up to PaymentCaptured, which waits for shipping.
  const outboxes = await waitFor(() => statuses(nodes), {
    failFast: crashed(nodes),
    until: (all) => ['n1', 'n2'].every((id) => (all.get(id)!.peers.find((p) => p.id === 'n3')?.outbox ?? 0) >= orderIds.length * 4),
    message: () => `the outboxes of n1 and n2 for n3 to hold every order's four events\n${tails(nodes)}`,
  });
  for (const id of ['n1', 'n2']) {
    const toN3 = outboxes.get(id)!.peers.find((p) => p.id === 'n3')!;
    t.equal(toN3.connected, false, `${id}'s link to n3 is still down`);
  }
  t.equal((await n3.admin.status()).log.size, n3LogAtCut, 'n3 received nothing while cut');
  t.equal(linkUpsSinceCut(), 0, 'n3 brought no link up while cut, though its dialers kept trying');
  t.ok(n1.records((r) => r.msg === 'link down' && r.peer === 'n3' && r.code === 4503).length > 0, 'n1 logged why its link to n3 dropped (4503)');

  t.same((await link(n3, 'n1', 'heal')).body, { peer: 'n1', cut: false });
  t.same((await link(n3, 'n2', 'heal')).body, { peer: 'n2', cut: false });
  await waitForLinks(nodes, [['n1', 'n3'], ['n2', 'n3']]);
  await waitFor(async () => ({ all: await statuses(nodes), orders: orderActors(await n1.admin.actors()) }), {
    failFast: crashed(nodes),
    until: ({ all, orders }) =>
      [...all.values()].every((s) => s.peers.every((p) => p.outbox === 0)) && orderIds.every((id) => orderDone(orders.get(id))),
    message: () => `every outbox drained and every order done after the heal\n${tails(nodes)}`,
    describe: ({ orders }) => JSON.stringify([...orders.values()].map((a) => [a.key, a.state])),
  });
});

t.test('a peer cut before it is ever seen is refused when it dials, and let in once healed', async (t) => {
  const n1 = await startNode(t, { id: 'n1', extraArgs: ['--chaos'] });
  t.same((await link(n1, 'n2', 'cut')).body, { peer: 'n2', cut: true });
  const n2 = await startNode(t, { id: 'n2', peers: [n1.wsUrl] });
  dumpOnFailure(t, () => [n1, n2]);
  const refused = await n2.waitForRecord((r) => r.code === 4503 && typeof r.msg === 'string' && r.msg.includes('refuses this node'), 'that n1 refuses it as cut');
  t.equal(refused.peer, 'n1');
  t.notOk((await n1.admin.status()).peers.some((p) => p.id === 'n2' && p.connected), 'n1 holds no link to n2');
  t.same((await link(n1, 'n2', 'heal')).body, { peer: 'n2', cut: false });
  await waitForLinks([n1, n2], [['n1', 'n2']]);
});

t.test('a node without --chaos refuses cut and heal requests with 403 TROUPE_CHAOS_DISABLED', async (t) => {
  const n1 = await startNode(t, { id: 'n1' });
  for (const op of ['cut', 'heal'] as const) {
    const answer = await link(n1, 'n2', op);
    t.equal(answer.status, 403, op);
    t.equal((answer.body as { error: { code: string } }).error.code, 'TROUPE_CHAOS_DISABLED', op);
  }
});

t.test('a --chaos node refuses to cut a link to itself or to something that is not a node id', async (t) => {
  const n1 = await startNode(t, { id: 'n1', extraArgs: ['--chaos'] });
  for (const peer of ['n1', 'not%3Aan-id']) {
    const answer = await link(n1, peer, 'cut');
    t.equal(answer.status, 400, peer);
    t.equal((answer.body as { error: { code: string } }).error.code, 'TROUPE_BAD_REQUEST', peer);
  }
});
