/**
 * A member behind retention across real processes: the orders app on n1, n2 and n3, each
 * keeping 5 events with a hard cap of 4 KiB. While n3 (shipping) is offline, n1 and n2
 * pass their cap and remove events n3 lacks. n3 comes back: it is not stalled. It counts
 * what no peer holds any more as lost (log line, `/status` `lost`, a metric), takes the
 * rest, and an order placed after it returned ships.
 */
import t from 'tap';
import type { NodeStatus } from './helpers/admin-client.js';
import { tails } from './helpers/convergence.js';
import { crashed, dumpOnFailure, type NodeProcess } from './helpers/node-process.js';
import { orderActors, stateName } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { parsePrometheus, valueOf } from './helpers/prometheus-text.js';
import { waitFor } from './helpers/wait-for.js';

const RETAIN = ['--retain-events', '5', '--retain-cap', '4KiB'];

async function metric(node: NodeProcess, name: string): Promise<number> {
  const answer = await node.admin.request('GET', '/metrics');
  return valueOf(parsePrometheus(answer.text), name) ?? -1;
}

/** Waits until `orderId` is `state` on n1. */
async function orderIs(n1: NodeProcess, nodes: readonly NodeProcess[], orderId: string, state: string): Promise<void> {
  await waitFor(async () => orderActors(await n1.admin.actors()).get(orderId), {
    failFast: crashed(nodes),
    timeout: 60_000,
    interval: 100,
    until: (actor) => stateName(actor?.state) === state,
    message: () => `order ${orderId} to be ${state} on n1\n${tails(nodes)}`,
  });
}

t.test('a member offline across a hard-cap compaction comes back, counts what no peer holds as lost, and is not stalled', async (t) => {
  const { n1, n2, n3, nodes } = await startOrdersCluster(t, { extraArgs: RETAIN });
  dumpOnFailure(t, () => nodes);
  await n1.admin.publish('OrderPlaced', { orderId: 'o-0', sku: 'widget', qty: 1, amount: 25, shipDelayMs: 0 }, 'o-0');
  await orderIs(n1, nodes, 'o-0', 'completed');
  await waitFor(() => Promise.all([n1.admin.status(), n2.admin.status()]), {
    failFast: crashed(nodes),
    until: (all) => all.every((s) => s.peers.every((p) => p.outbox === 0)),
    message: () => `n1 and n2 to hear every peer acknowledge everything\n${tails(nodes)}`,
  });
  await n3.stop();

  // Declined orders: five events each, none for n3's shipping, and the stock comes back.
  for (let i = 1; i <= 15; i++) await n1.admin.publish('OrderPlaced', { orderId: `d-${i}`, sku: 'widget', qty: 1, amount: 5000 }, `d-${i}`);
  await orderIs(n1, [n1, n2], 'd-15', 'cancelled');
  await waitFor(() => Promise.all([metric(n1, 'troupe_log_compacted_unacked_events_total'), metric(n2, 'troupe_log_compacted_unacked_events_total')]), {
    failFast: crashed([n1, n2]),
    timeout: 30_000,
    until: (counts) => counts.every((n) => n > 0),
    message: () => `n1 and n2 to pass their hard cap and remove events n3 lacks\n${tails([n1, n2])}`,
  });
  for (const node of [n1, n2]) t.ok(node.records((r) => r.code === 'TROUPE_LOG_COMPACTED').length > 0, `${node.id} logged TROUPE_LOG_COMPACTED`);

  await n3.restart();
  const status = await waitFor(() => n3.admin.status(), {
    failFast: crashed(nodes),
    timeout: 60_000,
    until: (s: NodeStatus & { lost?: { events: number; pending: number } }) => (s.lost?.events ?? 0) > 0 && s.lost?.pending === 0,
    message: () => `n3 to count what no peer holds as lost\n${tails(nodes)}`,
  }) as NodeStatus & { lost?: { events: number; pending: number; fromPeer?: string; at?: number } };
  t.match(status.lost, { fromPeer: /^n[12]$/, at: Number }, '/status says how many, from which peer\'s notice, and when');
  const lostLine = n3.records((r) => r.code === 'TROUPE_EVENTS_LOST');
  t.ok(lostLine.length > 0, 'n3 logged TROUPE_EVENTS_LOST');
  t.equal(lostLine[0]?.level, 50, 'at error level');
  t.match(lostLine[0], { ranges: [{ origin: String, from: Number, to: Number }] }, 'naming the origins and seqs it lost');
  t.ok([n1, n2].some((n) => n.records((r) => r.code === 'TROUPE_PEER_BEHIND_RETENTION' && r.peer === 'n3').length > 0), 'a serving node logged that n3 was behind its retention');
  t.equal(await metric(n3, 'troupe_events_lost_total'), status.lost?.events, 'troupe_events_lost_total counts them');

  // Not stalled: an order placed now needs n3's shipping, and completes.
  await n1.admin.publish('OrderPlaced', { orderId: 'o-new', sku: 'widget', qty: 1, amount: 25, shipDelayMs: 0 }, 'o-new');
  await orderIs(n1, nodes, 'o-new', 'completed');
  const after = await waitFor(() => n3.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.log.buffered === 0,
    message: () => `n3's causal buffer to drain\n${tails(nodes)}`,
  });
  t.equal(after.log.buffered, 0, 'nothing is left waiting in n3\'s causal buffer');
  const log = await n3.admin.retainedLog();
  const ids = log.map((e) => e.id);
  t.equal(new Set(ids).size, ids.length, 'n3 delivered no event twice');
  const top: Record<string, number> = {};
  const outOfOrder = log.filter((e) => {
    const wrong = e.seq <= (top[e.origin] ?? 0);
    top[e.origin] = e.seq;
    return wrong;
  });
  t.same(outOfOrder.map((e) => e.id), [], 'each origin\'s events in seq order');
  await waitFor(() => Promise.all([n1.admin.status(), n2.admin.status()]), {
    failFast: crashed(nodes),
    until: (all) => all.every((s) => s.peers.find((p) => p.id === 'n3')?.behindRetention === undefined),
    message: () => `n1 and n2 to hear n3 acknowledge what they removed\n${tails(nodes)}`,
  });
  t.pass('n1 and n2 no longer mark n3 behind: its clock counts what they removed');
  await waitFor(() => n3.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.lost?.asking === undefined,
    message: () => `n3 to settle what it counted as lost\n${tails(nodes)}`,
  });
  t.pass('n1 and n2 both said they removed them: n3 asks for none of them any more');
});
