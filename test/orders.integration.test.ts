/**
 * The orders example on three real node processes, with a link cut and healed while
 * orders keep arriving on every node. Real `ws`, real LevelDB, a real TCP proxy as the cut.
 */
import t from 'tap';
import { ackProblems, clocksEqual, logProblems, normalClock, typeCounts } from './helpers/causal-log.js';
import { statuses, tails, waitForLinkDown, waitForLinks, settledLogs, describeStatuses } from './helpers/convergence.js';
import { OrderTraffic } from './helpers/order-traffic.js';
import { orderActors, orderDone, orderOutcomes, workflowProblems } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { crashed, dumpOnFailure } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

t.test('orders placed on every node through a cut and a heal all complete, each event once in causal order everywhere', async (t) => {
  const { n1, n2, n3, nodes, n3ToN1, n3ToN2 } = await startOrdersCluster(t, { proxyN3ToN1: true, proxyN3ToN2: true });
  dumpOnFailure(t, () => nodes);
  const traffic = new OrderTraffic({ prefix: 'cut', targets: () => nodes, failFast: crashed(nodes) }).start();
  t.teardown(() => traffic.stop());

  // Connected: some orders go through.
  await traffic.waitForAcks(15, 'before the cut');

  // Cut n1–n3: n3 still reaches n1 through n2, and orders keep coming on both sides.
  n3ToN1!.cut();
  await waitForLinkDown(nodes, 'n1', 'n3');
  const ackedBeforeCut = { n1: traffic.ackedBy('n1'), n3: traffic.ackedBy('n3') };
  await traffic.waitForAcks(15, 'while n1–n3 is cut');

  // Cut n2–n3 as well: n3 is alone, and still acknowledges what is published on it.
  n3ToN2!.cut();
  await waitForLinkDown(nodes, 'n2', 'n3');
  const n3Alone = traffic.ackedBy('n3');
  await waitFor(() => traffic.ackedBy('n3'), {
    failFast: crashed(nodes),
    until: (n) => n >= n3Alone + 5,
    timeout: 30_000,
    message: () => `n3 to acknowledge orders while partitioned; failures: ${JSON.stringify(traffic.failed.slice(-3))}\n${n3.tail()}`,
  });
  // n3 holds events its peers lack: its outbox towards them is not empty.
  await waitFor(() => n3.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.peers.some((p) => p.outbox > 0),
    message: () => `n3's outbox to fill while it is partitioned\n${n3.tail()}`,
  });
  t.ok(traffic.ackedBy('n1') > ackedBeforeCut.n1 && traffic.ackedBy('n3') > ackedBeforeCut.n3,
    'orders were acknowledged on both sides of the cut');

  // Heal both links; more orders after the heal.
  n3ToN2!.heal();
  n3ToN1!.heal();
  await waitForLinks(nodes, [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']], 60_000);
  await traffic.waitForAcks(15, 'after the heal');
  await traffic.stop();
  t.comment(`${traffic.acked.length} orders acknowledged (n1 ${traffic.ackedBy('n1')}, n2 ${traffic.ackedBy('n2')}, n3 ${traffic.ackedBy('n3')}); ${traffic.failed.length} requests failed`);
  t.same(traffic.failed, [], 'every publish was acknowledged (a cut link never blocks a local publish)');

  // Every acknowledged order reaches an end state on n1, which hosts `order`.
  const ackedIds = traffic.acked.map((p) => p.order.orderId);
  const actors = await waitFor(() => n1.admin.actors(), {
    failFast: crashed(nodes),
    timeout: 120_000,
    interval: 250,
    until: (all) => {
      const orders = orderActors(all);
      return ackedIds.every((id) => orderDone(orders.get(id)));
    },
    message: () => `every acknowledged order to be completed or cancelled on n1\n${tails(nodes)}`,
    describe: (all) => {
      const orders = orderActors(all);
      const pending = ackedIds.filter((id) => !orderDone(orders.get(id)));
      return `${pending.length} of ${ackedIds.length} not done, e.g. ${JSON.stringify(pending.slice(0, 5).map((id) => orders.get(id) ?? id))}; outcomes ${JSON.stringify(orderOutcomes(all))}`;
    },
  });
  t.comment(`outcomes: ${JSON.stringify(orderOutcomes(actors))}`);

  // One clock everywhere, and every log read as a consistent snapshot.
  const logs = await settledLogs(nodes, 90_000);
  const reference = logs.get('n1')!;
  const finalActors = await n1.admin.actors();
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.ok(clocksEqual(status.vc, reference.status.vc), `${node.id}'s vector clock equals n1's`,
      { found: normalClock(status.vc), wanted: normalClock(reference.status.vc) });
    t.equal(status.log.size, log.length, `${node.id}: /status log.size equals the events /log lists`);
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: the log lists each event once, in causal order, exactly up to its clock`);
    t.same(ackProblems(node.id, log, traffic.acked.map((p) => ({ published: p.published, type: 'OrderPlaced' }))), [],
      `${node.id}: every acknowledged event is in the log exactly once, as acknowledged`);
    t.same(log.map((e) => e.id).sort(), reference.log.map((e) => e.id).sort(), `${node.id} holds the same events as n1`);
  }
  t.comment(`n1 log: ${JSON.stringify(typeCounts(reference.log))}`);

  // Every order ran its workflow once, and the order actors are exactly the orders placed.
  t.same(workflowProblems(reference.log, finalActors), [], 'every order ran its workflow exactly once to completed or cancelled');
  const placed = reference.log.filter((e) => e.type === 'OrderPlaced').length;
  t.equal(orderActors(finalActors).size, placed, 'one order actor per OrderPlaced in the log');
  t.equal(placed, traffic.acked.length, 'the log holds exactly the acknowledged orders');

  // Links drained: nothing left in any outbox.
  await waitFor(() => statuses(nodes), {
    failFast: crashed(nodes),
    until: (all) => [...all.values()].every((s) => s.peers.every((p) => p.outbox === 0)),
    message: () => `every outbox to drain after convergence\n${tails(nodes)}`,
    describe: describeStatuses,
  });

  // SIGTERM stops every node cleanly.
  for (const node of [n3, n2, n1]) {
    const exit = await node.stop('SIGTERM');
    t.same(exit, { code: 0, signal: null }, `${node.id} exits 0 on SIGTERM`);
  }
});
