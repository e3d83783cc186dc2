/**
 * `kill -9` of a node in the middle of the orders choreography, and its restart on the
 * same data dir and port: nothing it acknowledged is lost, nothing is processed twice, and
 * a delayed transition it was waiting on when it died still happens.
 */
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import { initialStock } from '../machines/inventory.js';
import type { LogEntry } from './helpers/admin-client.js';
import { ackProblems, logProblems, typeCounts } from './helpers/causal-log.js';
import { settledLogs, tails, waitForLinks } from './helpers/convergence.js';
import { OrderTraffic } from './helpers/order-traffic.js';
import { orderActors, orderDone, orderOutcomes, stateName, workflowProblems } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { crashed, dumpOnFailure } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const ALL_LINKS = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']] as const;

/**
 * Problems of the inventory ledger against the log: stock per sku must be the initial
 * stock minus what the log shows reserved plus what it shows released — a reservation
 * applied twice (or lost) in the actor's persisted state shows up as a difference.
 */
function inventoryProblems(context: any, log: readonly LogEntry[]): string[] {
  const problems: string[] = [];
  const expected: Record<string, number> = { ...initialStock };
  const answers = new Map<string, string>();
  for (const e of log) {
    const { orderId, sku, qty } = e.data ?? {};
    if (e.type === 'InventoryReserved') {
      expected[sku] = (expected[sku] ?? 0) - qty;
      answers.set(orderId, 'reserved');
    } else if (e.type === 'InventoryReleased') {
      expected[sku] = (expected[sku] ?? 0) + qty;
      answers.set(orderId, 'released');
    } else if (e.type === 'InventoryRejected') {
      answers.set(orderId, 'rejected');
    }
  }
  const stock: Record<string, number> = context?.stock ?? {};
  for (const sku of new Set([...Object.keys(expected), ...Object.keys(stock)])) {
    if ((stock[sku] ?? 0) !== (expected[sku] ?? 0)) {
      problems.push(`stock of ${sku} is ${stock[sku]}, but initial ${initialStock[sku] ?? 0} − reserved + released in the log = ${expected[sku]}`);
    }
    if ((stock[sku] ?? 0) < 0) problems.push(`stock of ${sku} is negative: ${stock[sku]}`);
  }
  const reservations: Record<string, { status: string }> = context?.reservations ?? {};
  for (const [orderId, answer] of answers) {
    if (reservations[orderId]?.status !== answer) {
      problems.push(`order ${orderId}: the log says ${answer}, inventory's ledger says ${reservations[orderId]?.status ?? 'nothing'}`);
    }
  }
  for (const orderId of Object.keys(reservations)) {
    if (!answers.has(orderId)) problems.push(`order ${orderId}: in inventory's ledger but inventory never answered it in the log`);
  }
  return problems.slice(0, 25);
}

t.test('a node killed with kill -9 mid-traffic and restarted loses nothing acknowledged and processes nothing twice', async (t) => {
  const { n1, n2, n3, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  // n2 (inventory, payment) is published on too while it runs: its own acknowledged events must survive the kill.
  const traffic = new OrderTraffic({ prefix: 'crash', targets: () => (n2.ready ? nodes : [n1, n3]), max: 5_000, failFast: crashed(nodes) }).start();
  t.teardown(() => traffic.stop());

  await traffic.waitForAcks(25, 'before the kill');
  const ackedOnN2 = traffic.ackedBy('n2');
  const statusBeforeKill = await n2.admin.status().catch(() => undefined);
  const exit = await n2.kill9();
  t.equal(exit.signal, 'SIGKILL', 'n2 died of SIGKILL');
  t.comment(`killed n2 after ${traffic.acked.length} acknowledgements (${ackedOnN2} on n2); n2 was at vc ${JSON.stringify(statusBeforeKill?.vc)}`);

  await traffic.waitForAcks(20, 'while n2 is down');
  await n2.restart();
  await waitForLinks(nodes, ALL_LINKS, 60_000);
  await traffic.waitForAcks(20, 'after n2 restarted');
  await traffic.stop();
  t.ok(ackedOnN2 > 0, 'n2 had acknowledged orders of its own before it was killed');
  t.comment(`${traffic.acked.length} orders acknowledged; ${traffic.failed.length} requests failed (to n2 while it was down, or in flight when it died)`);

  // The orders that may exist: acknowledged ones, and unanswered ones that may have been committed.
  const ackedIds = traffic.acked.map((p) => p.order.orderId);
  await waitFor(() => n1.admin.actors(), {
    failFast: crashed(nodes),
    timeout: 120_000,
    interval: 250,
    until: (all) => {
      const orders = orderActors(all);
      return ackedIds.every((id) => orderDone(orders.get(id))) && [...orders.values()].every(orderDone);
    },
    message: () => `every order to be completed or cancelled on n1 after n2's restart\n${tails(nodes)}`,
    describe: (all) => {
      const orders = orderActors(all);
      const pending = [...new Set([...ackedIds, ...orders.keys()])].filter((id) => !orderDone(orders.get(id)));
      return `${pending.length} not done, e.g. ${JSON.stringify(pending.slice(0, 5).map((id) => orders.get(id) ?? id))}`;
    },
  });

  const logs = await settledLogs(nodes, 90_000);
  const reference = logs.get('n1')!;
  const acked = traffic.acked.map((p) => ({ published: p.published, type: 'OrderPlaced' }));
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.equal(status.log.size, log.length, `${node.id}: /status log.size equals the events /log lists`);
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: each event once, in causal order, exactly up to its clock`);
    t.same(ackProblems(node.id, log, acked), [], `${node.id}: every acknowledged event is present exactly once`);
    t.same(log.map((e) => e.id).sort(), reference.log.map((e) => e.id).sort(), `${node.id} holds the same events as n1`);
  }
  t.comment(`n1 log: ${JSON.stringify(typeCounts(reference.log))}`);

  const actors = await n1.admin.actors();
  t.comment(`outcomes: ${JSON.stringify(orderOutcomes(actors))}`);
  t.same(workflowProblems(reference.log, actors), [], 'every order ran its workflow exactly once');
  const placed = new Set(reference.log.filter((e) => e.type === 'OrderPlaced').map((e) => String(e.data?.orderId)));
  t.ok(ackedIds.every((id) => placed.has(id)), 'every acknowledged order is in the log');
  t.ok(placed.size - ackedIds.length <= traffic.failed.length,
    'the only orders beyond the acknowledged ones are requests that got no answer', { placed: placed.size, acked: ackedIds.length, failed: traffic.failed.length });

  const inventory = (await n2.admin.actors()).filter((a) => a.service === 'inventory');
  t.equal(inventory.length, 1, 'n2 hosts one inventory actor');
  t.same(inventoryProblems(inventory[0]?.context, reference.log), [],
    'inventory\'s restored stock and ledger match the log: nothing reserved or released twice, nothing lost');
});

t.test('a shipment waiting in an after state when its node is killed ships exactly once after the restart', async (t) => {
  const { n1, n3, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  const orderId = 'slow-ship-1';
  const shipDelayMs = 4_000;
  const placed = await n1.admin.publish('OrderPlaced', { orderId, sku: 'widget', qty: 1, amount: 25, shipDelayMs }, orderId);

  const preparing = await waitFor(async () => (await n3.admin.actors()).find((a) => a.service === 'shipping' && a.key === orderId), {
    failFast: crashed(nodes),
    timeout: 30_000,
    interval: 20,
    until: (actor) => actor !== undefined && stateName(actor.state) === 'preparing',
    message: () => `n3's shipping actor for ${orderId} to be preparing\n${tails(nodes)}`,
  });
  const n3Origin = (await n3.admin.status() as { origin?: string }).origin;
  await n3.kill9();
  t.comment(`killed n3 while ${orderId} was preparing (context ${JSON.stringify(preparing?.context)}); n3 stamped under ${n3Origin}`);

  await n3.restart();
  await waitForLinks(nodes, ALL_LINKS, 60_000);
  await waitFor(async () => orderActors(await n1.admin.actors()).get(orderId), {
    failFast: crashed(nodes),
    timeout: 60_000,
    interval: 100,
    until: (actor) => stateName(actor?.state) === 'completed',
    message: () => `order ${orderId} to complete on n1 after n3's restart\n${tails(nodes)}`,
  });

  const logs = await settledLogs(nodes, 60_000);
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: each event once, in causal order`);
    t.same(ackProblems(node.id, log, [{ published: placed, type: 'OrderPlaced' }]), [], `${node.id}: the order is in the log once`);
    const shipped = log.filter((e) => e.type === 'OrderShipped' && e.correlationId === orderId);
    t.equal(shipped.length, 1, `${node.id}: OrderShipped for ${orderId} exactly once`);
    if (node.id === 'n3' && shipped[0]) {
      const e = shipped[0];
      t.equal(nodeOf(e.origin), 'n3', 'shipping on n3 published it');
      t.not(e.origin, n3Origin, 'it was published after the restart (under its new origin), not before the kill');
      const captured = log.find((c) => c.type === 'PaymentCaptured' && c.correlationId === orderId);
      t.ok(captured && e.ts >= captured.ts + shipDelayMs - 100,
        'the delayed transition did not fire before its delay had passed', { shippedTs: e.ts, capturedTs: captured?.ts, shipDelayMs });
    }
  }
  const shipping = (await n3.admin.actors()).find((a) => a.service === 'shipping' && a.key === orderId);
  t.equal(stateName(shipping?.state), 'shipped', 'n3\'s restored shipping actor ended in shipped');
  t.same(workflowProblems(logs.get('n1')!.log, await n1.admin.actors()), [], 'the order ran its workflow exactly once');
});
