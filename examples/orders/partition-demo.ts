/**
 * The demo's second act: a partition. It cuts the last node (shipping, n3) off from the
 * others through its admin API (`POST /links/:peer/cut`, which nodes started with
 * `--chaos` take, as `troupe cluster` starts them), places orders on both sides, and says
 * where each workflow got stuck — which event waits in which node's outbox, for whom,
 * read from `GET /workflow/:orderId`. Then it heals the links and hands the orders back
 * to the demo, which waits for every one of them to finish.
 *
 * One cut link alone would not do: in a full mesh the third node relays around it, and
 * the orders would go on. It takes every link of one node to split the cluster.
 */
import type { DemoContext } from '../../runtime/service.js';
import type { WorkflowView } from '../../inspector/feed.js';
import { getJson, pause, placeOrder, post, type DemoOrder, type PlacedOrder } from './demo-client.js';

/** Orders that all complete on a fresh cluster after the first act (5 widgets left). */
const partitionOrders: readonly DemoOrder[] = [
  { sku: 'widget', qty: 1, amount: 60 },
  { sku: 'widget', qty: 1, amount: 70 },
  { sku: 'widget', qty: 1, amount: 80 },
];

/** How long to wait for the cut to show, or for the workflows to stop moving. */
const settleWithinMs = 10_000;
/** How long the partition is held once described: time to look at the inspector, not synchronisation. */
const holdMs = 5000;
const pollEveryMs = 300;

/**
 * Plays the partition; resolves with the orders it placed (to be waited for), or
 * `undefined` when it could not be played or the cluster is stopping.
 */
export async function playPartition(ctx: DemoContext, runId: string, firstNumber: number): Promise<PlacedOrder[] | undefined> {
  const { nodes, log, signal } = ctx;
  if (nodes.length < 2) return undefined;
  const island = nodes[nodes.length - 1];
  const mainland = nodes.slice(0, -1);
  log('');
  log(`act 2, a partition: cutting ${island.id} off from ${mainland.map((n) => n.id).join(' and ')}`);
  for (const peer of mainland) {
    const answer = await post(island.url, `/links/${peer.id}/cut`, ctx);
    if (signal.aborted) return undefined;
    if (answer?.status !== 200) {
      log(`${island.id} did not cut its link to ${peer.id} (${answer === undefined ? 'no answer' : `HTTP ${answer.status}`}): ` +
        'the nodes need --chaos, which troupe cluster gives them; skipping the partition');
      return undefined;
    }
    log(`  POST ${island.url}/links/${peer.id}/cut → link ${island.id}–${peer.id} cut`);
  }
  if (!(await linksDown(ctx, island.id, mainland))) return undefined;
  log(`${mainland.map((n) => n.id).join(' and ')} see their links to ${island.id} down; orders now go to both sides`);

  const placed: PlacedOrder[] = [];
  const sides = [...mainland, island];
  for (const [i, order] of partitionOrders.entries()) {
    const node = sides[i % sides.length];
    const orderId = `o-${runId}-${firstNumber + i}`;
    if (!(await placeOrder(node.url, orderId, order, ctx))) {
      if (signal.aborted) return undefined;
      log(`${node.id} did not accept ${orderId}; leaving it out`);
      continue;
    }
    placed.push({ ...order, orderId, node: node.id });
    log(`${node.id} ← OrderPlaced ${orderId}: ${order.qty} × ${order.sku} for ${order.amount}`);
  }

  const views = await stuckWorkflows(ctx, nodes[0].url, placed);
  if (views === undefined) return undefined;
  log(`where each order is stuck (npx troupe trace ${nodes[0].url} <order>):`);
  for (const view of views) describeStuck(view, placed, log);

  log(`the partition holds for ${holdMs / 1000} s more: the inspector shows the waiting events`);
  if (!(await pause(holdMs, signal))) return undefined;
  log(`healing: ${island.id} lets ${mainland.map((n) => n.id).join(' and ')} back in and redials them`);
  for (const peer of mainland) {
    await post(island.url, `/links/${peer.id}/heal`, ctx);
    if (signal.aborted) return undefined;
    log(`  POST ${island.url}/links/${peer.id}/heal`);
  }
  log('the outboxes drain; every order should now finish');
  return placed;
}

/** Waits until every mainland node sees its link to the island down; false if the cluster stops. */
async function linksDown(ctx: DemoContext, island: string, mainland: DemoContext['nodes']): Promise<boolean> {
  const deadline = Date.now() + settleWithinMs;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(
      mainland.map((node) => getJson<{ peers: { id: string; connected: boolean }[] }>(node.url, '/status', ctx)),
    );
    if (ctx.signal.aborted) return false;
    if (statuses.every((s) => s?.peers.every((p) => p.id !== island || !p.connected) === true)) return true;
    if (!(await pause(pollEveryMs, ctx.signal))) return false;
  }
  ctx.log(`${island}'s links still show up after ${settleWithinMs / 1000} s; going on`);
  return true;
}

/**
 * The orders' workflows once they stop moving: each has something waiting and two polls
 * in a row saw the same events. At the deadline, what was last seen.
 */
async function stuckWorkflows(ctx: DemoContext, url: string, orders: readonly PlacedOrder[]): Promise<WorkflowView[] | undefined> {
  const deadline = Date.now() + settleWithinMs;
  let last = '';
  for (;;) {
    const views = await Promise.all(orders.map((o) => getJson<WorkflowView>(url, `/workflow/${o.orderId}`, ctx)));
    if (ctx.signal.aborted) return undefined;
    const seen = views.filter((v): v is WorkflowView => v !== undefined);
    const shape = JSON.stringify(seen.map((v) => v.events.map((e) => e.heldBy)));
    const stuck = seen.length === orders.length && seen.every((v) => v.pending.length > 0);
    if ((stuck && shape === last) || Date.now() >= deadline) return seen;
    last = shape;
    if (!(await pause(pollEveryMs, ctx.signal))) return undefined;
  }
}

/** One order's progress and what its newest events wait for. */
function describeStuck(view: WorkflowView, orders: readonly PlacedOrder[], log: DemoContext['log']): void {
  const order = orders.find((o) => o.orderId === view.correlationId);
  log(`  ${view.correlationId} (placed on ${order?.node ?? '?'}): ${view.events.map((e) => e.type).join(' → ') || 'nothing yet'}`);
  // The newest events (those nothing in the workflow follows from) say where it is held up.
  const causes = new Set(view.events.map((e) => e.causationId));
  const tips = new Set(view.events.filter((e) => !causes.has(e.id)).map((e) => e.id));
  for (const item of view.pending) {
    if (item.kind !== 'outbox' || tips.has(item.eventId ?? '')) log(`    ${item.text}`);
  }
}
