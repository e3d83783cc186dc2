import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import type { WorkflowView } from '../inspector/feed.js';
import { runCli, startCli } from './helpers/cli-run.js';
import { statuses, tails, waitForLinkDown, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, type NodeProcess } from './helpers/node-process.js';
import { orderActors, orderDone } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { waitFor } from './helpers/wait-for.js';

async function link(node: NodeProcess, peer: string, op: 'cut' | 'heal'): Promise<void> {
  const answer = await node.admin.request('POST', `/links/${peer}/${op}`);
  if (answer.status !== 200) throw new Error(`${node.id}: ${op} ${peer} answered ${answer.status} ${answer.text}`);
}

/** Event types of one workflow in `node`'s trace. */
async function tracedTypes(node: NodeProcess, correlationId: string): Promise<string[]> {
  const answer = await node.admin.request('GET', `/trace/${correlationId}`);
  return (answer.body as { events: { type: string }[] }).events.map((e) => e.type);
}

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('troupe trace, status and tail show a workflow split by cut links, and its end once healed', async (t) => {
  const { n1, n2, n3, nodes } = await startOrdersCluster(t, { extraArgs: ['--chaos'] });
  dumpOnFailure(t, () => nodes);
  const order = { orderId: 'o-split', sku: 'widget', qty: 1, amount: 40 };

  // First n2 (inventory, payment) is cut off: the order's first events reach n1 and n3 only.
  await link(n2, 'n1', 'cut');
  await link(n2, 'n3', 'cut');
  await waitForLinkDown(nodes, 'n1', 'n2');
  await waitForLinkDown(nodes, 'n2', 'n3');
  await n1.admin.publish('OrderPlaced', order, order.orderId);
  await waitFor(() => tracedTypes(n3, order.orderId), {
    failFast: crashed(nodes),
    until: (types) => types.includes('OrderCreated'),
    message: () => `n3 to hold o-split's OrderCreated\n${tails(nodes)}`,
  });
  // Then the cut moves: n3 (shipping) is cut off and n2 comes back, so payment runs and
  // its PaymentCaptured waits for n3.
  await link(n3, 'n1', 'cut');
  await link(n3, 'n2', 'cut');
  await waitForLinkDown(nodes, 'n1', 'n3');
  await link(n2, 'n1', 'heal');
  await link(n2, 'n3', 'heal');
  await waitForLinks(nodes, [['n1', 'n2']]);
  await waitFor(() => tracedTypes(n1, order.orderId), {
    failFast: crashed(nodes),
    until: (types) => types.includes('PaymentCaptured'),
    message: () => `n1 to hold o-split's PaymentCaptured\n${tails(nodes)}`,
  });
  // n3 is cut by its own hand: whether /status names a cut (another part of the node) decides the word.
  const n3CutsN2 = (await n3.admin.status()).peers.some((p) => p.id === 'n2' && (p as { cut?: boolean }).cut === true);
  const linkWord = n3CutsN2 ? 'cut' : 'down';

  await t.test('GET /workflow merges both sides, names the outbox that holds what waits', async (t) => {
    const view = (await n1.admin.request('GET', `/workflow/${order.orderId}`)).body as WorkflowView;
    const heldBy = Object.fromEntries(view.events.map((e) => [e.type, e.heldBy]));
    t.same(heldBy, {
      OrderPlaced: ['n1', 'n2', 'n3'],
      OrderCreated: ['n1', 'n2', 'n3'],
      InventoryReserved: ['n1', 'n2'],
      PaymentCaptured: ['n1', 'n2'],
    });
    t.same(view.nodes.map((n) => [n.id, n.reachable]), [['n1', true], ['n2', true], ['n3', true]]);
    const captured = view.events.find((e) => e.type === 'PaymentCaptured')!;
    t.same(
      view.pending.filter((p) => p.eventId === captured.id).map((p) => [p.kind, p.node, p.peer]),
      [['outbox', 'n1', 'n3'], ['outbox', 'n2', 'n3']],
    );
  });

  await t.test('troupe trace prints the tree, both sides\' holders, and the waiting events with their outboxes', async (t) => {
    const run = await runCli(['trace', n1.url, order.orderId]);
    t.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    t.match(lines[0], /^workflow o-split: 4 events, from 3 of 3 nodes/);
    const row = (type: string): string => lines.find((l) => l.includes(type)) ?? '';
    t.match(row('OrderPlaced'), /^OrderPlaced\s+n1~[\w-]+:\d+\s.*\s-\s+n1,n2,n3/);
    t.match(row('OrderCreated'), /^└─ OrderCreated\s+n1~[\w-]+:\d+\s.*\sn1~[\w-]+:\d+\s+n1,n2,n3/);
    t.match(row('InventoryReserved'), /^ {3}└─ InventoryReserved\s+n2~[\w-]+:\d+\s.*\s+n1,n2(\s|$)/);
    t.match(row('PaymentCaptured'), /^ {6}└─ PaymentCaptured\s+n2~[\w-]+:\d+\s.*\s+n1,n2(\s|$)/);
    t.ok(lines.includes('pending:'));
    t.match(run.stdout, new RegExp(`PaymentCaptured \\(n2~[\\w-]+:\\d+\\) waits in n2's outbox for n3; link n2–n3 ${linkWord} since \\d\\d:\\d\\d:\\d\\d`));
    t.match(run.stdout, new RegExp(`PaymentCaptured \\(n2~[\\w-]+:\\d+\\) waits in n1's outbox for n3; link n1–n3 ${linkWord} since \\d\\d:\\d\\d:\\d\\d`));
  });

  await t.test('troupe status prints every node and the state and outbox of every link', async (t) => {
    const run = await runCli(['status', n2.url]);
    t.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    t.equal(lines[0], `3 nodes reached from ${n2.url}, 3 answering`);
    t.match(lines.find((l) => l.startsWith('n2 ')), new RegExp(`^n2\\s+${n2.url}\\s+inventory,payment\\s+\\d+\\s+0\\s+0\\s+`));
    t.match(lines.find((l) => l.startsWith('n3 ')), new RegExp(`^n3\\s+${n3.url}\\s+shipping\\s`));
    const all = await statuses(nodes);
    const n2ToN3 = all.get('n2')!.peers.find((p) => p.id === 'n3')!;
    t.ok(n2ToN3.outbox > 0);
    t.match(lines.find((l) => l.startsWith('n2 → n3')), new RegExp(`^n2 → n3\\s+${n3CutsN2 ? 'cut by n3' : 'down'}\\s+\\d\\d:\\d\\d:\\d\\d\\s+${n2ToN3.outbox}$`));
    t.match(lines.find((l) => l.startsWith('n1 → n2')), /^n1 → n2\s+up\s+\d\d:\d\d:\d\d\s+\d+$/);
  });

  await t.test('GET /cluster lists every node reached, each with its status', async (t) => {
    const body = (await n3.admin.request('GET', '/cluster')).body as { nodes: { id: string; admin: string; reachable: boolean; status?: { id: string } }[] };
    t.same(body.nodes.map((n) => [n.id, n.admin, n.reachable, n.status?.id]), [
      ['n3', n3.url, true, 'n3'],
      ['n1', n1.url, true, 'n1'],
      ['n2', n2.url, true, 'n2'],
    ]);
  });

  await t.test('troupe tail follows the log live, filtered, until Ctrl-C', async (t) => {
    const tail = startCli(t, ['tail', n1.url, '--type', 'OrderShipped,AuditNote', '--correlation', order.orderId]);
    await waitFor(() => tail.stderr(), { until: (err) => err.includes('following the log of n1'), message: 'troupe tail to start following' });
    // Another order whose OrderShipped the filter must leave out.
    await n1.admin.publish('OrderPlaced', { ...order, orderId: 'o-other' }, 'o-other');
    await link(n3, 'n1', 'heal');
    await link(n3, 'n2', 'heal');
    await waitFor(async () => orderActors(await n1.admin.actors()), {
      failFast: crashed(nodes),
      until: (orders) => orderDone(orders.get('o-split')) && orderDone(orders.get('o-other')),
      message: () => `both orders to finish after the heal\n${tails(nodes)}`,
    });
    // Everything before this note is in n1's log already: once tail shows it, it has read past them.
    await n1.admin.publish('AuditNote', { note: 'end of test' }, order.orderId);
    const out = await waitFor(() => tail.stdout(), { until: (o) => o.includes('AuditNote'), message: () => `tail to show the note\n${tail.stderr()}` });
    const lines = out.trim().split('\n');
    t.equal(lines.length, 2, out);
    t.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3}  #\d+  n3~[\w-]+:\d+  OrderShipped  o-split  ← n2~[\w-]+:\d+  \{"orderId":"o-split"\}$/);
    t.match(lines[1], /^\d\d:\d\d:\d\d\.\d{3}  #\d+  n1~[\w-]+:\d+  AuditNote  o-split  ← -  \{"note":"end of test"\}$/);
    tail.kill('SIGINT');
    const ended = await tail.ended;
    t.equal(ended.code, 0, `tail stops cleanly on Ctrl-C: ${ended.stderr}`);
  });

  await t.test('troupe trace shows nothing pending once the workflow is done everywhere', async (t) => {
    const run = await runCli(['trace', n2.url, order.orderId]);
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /OrderShipped\s+n3~[\w-]+:\d+\s.*\s+n1,n2,n3/);
    t.match(run.stdout, /nothing pending: every node that answered holds all 6 events/);
  });
});

t.test('troupe trace exits 1 with TROUPE_NOT_FOUND for a workflow no node knows', async (t) => {
  const { n1, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  const run = await runCli(['trace', n1.url, 'o-nobody']);
  t.equal(run.code, 1);
  t.match(run.stderr, /nothing is known of workflow o-nobody on n1, n2, n3 \(TROUPE_NOT_FOUND\)/);
  t.equal(run.stdout, '');
});

t.test('troupe status, trace and tail exit 1 with TROUPE_NODE_UNREACHABLE for a node that does not answer', async (t) => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  for (const args of [['status', url], ['trace', url, 'o-1'], ['tail', url]]) {
    const run = await runCli(args);
    t.equal(run.code, 1, args[0]);
    t.match(run.stderr, /TROUPE_NODE_UNREACHABLE/, args[0]);
  }
});

t.test('troupe status, trace and tail exit 2 with TROUPE_BAD_FLAGS on bad arguments', async (t) => {
  for (const args of [['status'], ['trace', 'http://127.0.0.1:1'], ['tail', 'ws://127.0.0.1:1'], ['tail', 'http://127.0.0.1:1', '--nope']]) {
    const run = await runCli(args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, /TROUPE_BAD_FLAGS/, args.join(' '));
  }
});
