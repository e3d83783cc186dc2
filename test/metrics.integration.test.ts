/**
 * `GET /metrics` on the three-node orders cluster (real processes): after a known amount
 * of traffic every series holds what that traffic implies on each node, and a restart
 * shows up as a reconnect on the restarted node's peers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { orderActors, orderDone } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { statuses, tails, describeStatuses, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, REPO_ROOT, type NodeProcess } from './helpers/node-process.js';
import { byLabel, parsePrometheus, valueOf, type Exposition } from './helpers/prometheus-text.js';
import { waitFor } from './helpers/wait-for.js';

const ORDERS = 6;
/** Each paid order's workflow: placed, created, reserved, captured, shipped. */
const WORKFLOW = ['OrderPlaced', 'OrderCreated', 'InventoryReserved', 'PaymentCaptured', 'OrderShipped'];

async function scrape(node: NodeProcess): Promise<Exposition> {
  const answer = await node.admin.request('GET', '/metrics');
  if (answer.status !== 200) throw new Error(`${node.id}: GET /metrics answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return parsePrometheus(answer.text);
}

t.test('each node\'s /metrics counts the orders\' events it delivered and published, and shows its links, DLQ, actors and process', async (t) => {
  const { n1, n2, n3, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);

  // Paid orders of one widget each (stock 10): every one completes, in five events.
  for (let i = 0; i < ORDERS; i++) {
    const orderId = `m-${i}`;
    await n1.admin.publish('OrderPlaced', { orderId, sku: 'widget', qty: 1, amount: 10 + i, shipDelayMs: 10 }, orderId);
  }
  // `order` finds no order id in it: a dead letter on n1, and one more event everywhere.
  await n1.admin.publish('InventoryReleased', {}, 'stray');
  const total = ORDERS * WORKFLOW.length + 1;

  await waitFor(() => n1.admin.actors(), {
    failFast: crashed(nodes),
    until: (actors) => [...orderActors(actors).values()].filter(orderDone).length === ORDERS,
    message: () => `all ${ORDERS} orders to complete on n1\n${tails(nodes)}`,
  });
  await waitFor(() => statuses(nodes), {
    failFast: crashed(nodes),
    until: (all) => [...all.values()].every((s) => s.log.size === total && s.peers.every((p) => p.outbox === 0)),
    message: () => `every node to hold ${total} events with empty outboxes\n${tails(nodes)}`,
    describe: describeStatuses,
  });

  const metrics = new Map(await Promise.all(nodes.map(async (node) => [node.id, await scrape(node)] as const)));
  const delivered = { ...Object.fromEntries(WORKFLOW.map((type) => [type, ORDERS])), InventoryReleased: 1 };
  const published: Record<string, Record<string, number>> = {
    n1: { OrderPlaced: ORDERS, OrderCreated: ORDERS, InventoryReleased: 1 },
    n2: { InventoryReserved: ORDERS, PaymentCaptured: ORDERS },
    n3: { OrderShipped: ORDERS },
  };
  const deadLetters: Record<string, Record<string, number>> = { n1: { order: 1 }, n2: { inventory: 0, payment: 0 }, n3: { shipping: 0 } };
  const actors: Record<string, Record<string, number>> = {
    n1: { 'order/completed': ORDERS },
    n2: { 'inventory/tracking': 1, 'payment/captured': ORDERS },
    n3: { 'shipping/shipped': ORDERS },
  };
  for (const node of nodes) {
    const m = metrics.get(node.id)!;
    const peers = nodes.filter((p) => p !== node).map((p) => p.id);
    const perPeer = (value: number): Record<string, number> => Object.fromEntries(peers.map((p) => [p, value]));
    t.same(byLabel(m, 'troupe_events_delivered_total', 'type'), delivered, `${node.id}: every event delivered once, by type`);
    t.same(byLabel(m, 'troupe_events_published_total', 'type'), published[node.id], `${node.id}: published are the events it originated`);
    t.equal(valueOf(m, 'troupe_event_delivery_seconds_count'), total, `${node.id}: one latency per delivered event`);
    t.equal(valueOf(m, 'troupe_event_delivery_seconds_bucket', { le: '+Inf' }), total);
    t.equal(valueOf(m, 'troupe_commit_events_sum'), total, `${node.id}: the commit batches hold every delivered event`);
    const batches = valueOf(m, 'troupe_commit_events_count')!;
    t.ok(batches >= 1 && batches <= total, `${node.id}: ${batches} batches, none without an event`);
    t.equal(valueOf(m, 'troupe_commit_seconds_count'), batches, `${node.id}: one write time per batch`);
    t.same(byLabel(m, 'troupe_outbox_events', 'peer'), perPeer(0), `${node.id}: an outbox per peer, drained`);
    t.same(byLabel(m, 'troupe_peer_connected', 'peer'), perPeer(1), `${node.id}: both links up`);
    t.same(byLabel(m, 'troupe_peer_reconnects_total', 'peer'), perPeer(0), `${node.id}: no reconnect yet`);
    t.equal(valueOf(m, 'troupe_causal_buffer_events'), 0, `${node.id}: nothing held back`);
    t.equal(valueOf(m, 'troupe_log_events'), total, `${node.id}: log size`);
    t.same(byLabel(m, 'troupe_dead_letters', 'service'), deadLetters[node.id], `${node.id}: dead letters per hosted service`);
    const byState = Object.fromEntries(m.samples.filter((s) => s.name === 'troupe_actors').map((s) => [`${s.labels.service}/${s.labels.state}`, s.value]));
    t.same(byState, actors[node.id], `${node.id}: actors by service and state`);
    t.ok(valueOf(m, 'process_cpu_user_seconds_total')! > 0, `${node.id}: process CPU`);
    t.ok(valueOf(m, 'nodejs_heap_size_used_bytes')! > 0, `${node.id}: heap`);
    t.ok(valueOf(m, 'process_start_time_seconds')! > 0, `${node.id}: start time`);
    const unnamed = node.records((r) => r.node !== node.id);
    t.same(unnamed, [], `${node.id}: every log line carries its node id`);
  }

  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const families = [...metrics.get('n1')!.types.keys()].filter((name) => name.startsWith('troupe_')).sort();
  const documented = [...readme.matchAll(/^\| `(troupe_[a-z_]+)` \|/gm)].map((m) => m[1]).sort();
  t.ok(documented.length > 0, 'the README has a metrics table');
  t.same(families, documented, 'a node exports exactly the troupe metrics the README lists');

  // n3 goes down and comes back: n1 and n2 count one reconnect each; n3 counts afresh.
  await n3.stop('SIGTERM');
  await n3.restart();
  await waitForLinks(nodes, [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']]);
  for (const node of [n1, n2]) {
    const m = await scrape(node);
    t.same(byLabel(m, 'troupe_peer_reconnects_total', 'peer'), { [n2 === node ? 'n1' : 'n2']: 0, n3: 1 }, `${node.id}: n3 reconnected once`);
  }
  const restarted = await scrape(n3);
  t.same(byLabel(restarted, 'troupe_peer_reconnects_total', 'peer'), { n1: 0, n2: 0 }, 'n3 starts counting afresh');
  // Its one new event retires its earlier start (`protocol/retirement.ts`).
  t.same(byLabel(restarted, 'troupe_events_delivered_total', 'type'), { 'troupe.retired': 1 }, 'n3 delivered nothing new since its restart but its retirement of its earlier start');
  t.equal(valueOf(restarted, 'troupe_log_events'), total + 1, 'n3 keeps its log');
  t.equal(valueOf(restarted, 'troupe_actors', { service: 'shipping', state: 'shipped' }), ORDERS, 'n3 restored its actors');
});
