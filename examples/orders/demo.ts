/**
 * The orders demo that `troupe cluster --app examples/orders` runs once every node is up.
 *
 * It first points at the inspector (every node serves it at `/`). Act 1 places a handful
 * of orders through the admin API of different nodes, paced a little apart so the log
 * reads as a story, then polls every node's `GET /actors` until each order has ended and
 * prints what became of it. The orders are picked against the inventory's initial stock
 * so that, on a fresh cluster, whatever order the events arrive in, some complete, some
 * are declined by payment (and their stock is released), and some are rejected by
 * inventory. Act 2 (`partition-demo.ts`) cuts a node off, places orders on both sides,
 * says where they wait, heals, and the demo shows every one of them finish.
 */
import { customAlphabet } from 'nanoid';
import type { DemoContext } from '../../runtime/service.js';
import { listActors, pause, placeOrder, type ActorRow, type AdminCall, type DemoOrder, type PlacedOrder } from './demo-client.js';
import { playPartition } from './partition-demo.js';

export type { DemoOrder } from './demo-client.js';

/**
 * The demo's orders, with the outcome each gets on a fresh cluster. Against the initial
 * stock { widget: 10, gadget: 5, gizmo: 2 } and the payment limit of 1000: the
 * reservations that are made (completed and declined orders) never add up to more than a
 * sku's stock, and each rejected order asks for more than the sku ever had, so no outcome
 * depends on the order in which concurrent events arrive.
 */
export const demoOrders: readonly DemoOrder[] = [
  { sku: 'widget', qty: 2, amount: 40 }, // completed
  { sku: 'gadget', qty: 1, amount: 1500 }, // declined by payment, stock released, cancelled
  { sku: 'gizmo', qty: 3, amount: 75 }, // rejected by inventory, cancelled
  { sku: 'widget', qty: 3, amount: 120 }, // completed
  { sku: 'gadget', qty: 2, amount: 80 }, // completed
  { sku: 'widget', qty: 4, amount: 2200 }, // declined by payment, stock released, cancelled
  { sku: 'gizmo', qty: 2, amount: 50 }, // completed, the last gizmos
  { sku: 'widget', qty: 12, amount: 300 }, // rejected by inventory, cancelled
];

/** Pause between two orders: pacing for a reader, not synchronisation. */
const placeEveryMs = 300;
/** Pause between two polls of `GET /actors`. */
const pollEveryMs = 250;
/** How long the demo waits for every order to end before it reports what it has. */
const settleWithinMs = 30_000;

/** Run ids are short and lower-case so order ids stay readable in logs and traces. */
const newRunId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 4);

/** Places the demo's orders across the cluster and reports their outcomes. */
export async function ordersDemo(ctx: DemoContext): Promise<void> {
  const { nodes, log, signal } = ctx;
  if (nodes.length === 0) return;
  const runId = newRunId();
  const login = ctx.adminToken === undefined ? '' : '#token=<the admin token>';
  log(`open the inspector to watch: ${nodes[0].url}/${login} (any node serves it)`);
  log('');
  log(`act 1: placing ${demoOrders.length} orders across ${nodes.map((n) => n.id).join(', ')} (run ${runId})`);

  const placed: PlacedOrder[] = [];
  for (const [i, order] of demoOrders.entries()) {
    const node = nodes[i % nodes.length];
    const orderId = `o-${runId}-${i + 1}`;
    if (await placeOrder(node.url, orderId, order, ctx)) {
      placed.push({ ...order, orderId, node: node.id });
      log(`${node.id} ← OrderPlaced ${orderId}: ${order.qty} × ${order.sku} for ${order.amount}`);
    } else if (signal.aborted) {
      return;
    } else {
      log(`${node.id} did not accept ${orderId}; leaving it out`);
    }
    if (!(await pause(placeEveryMs, signal))) return;
  }
  if (placed.length === 0) return;

  const actors = await settle(nodes, new Set(placed.map((o) => o.orderId)), ctx);
  if (actors === undefined) return;
  report(placed, actors, log);
  const inventory = actors.find((a) => a.service === 'inventory');
  if (inventory !== undefined) log(`stock left: ${JSON.stringify(inventory.context.stock)}`);

  const partitioned = await playPartition(ctx, runId, demoOrders.length + 1);
  if (partitioned !== undefined && partitioned.length > 0) {
    const after = await settle(nodes, new Set(partitioned.map((o) => o.orderId)), ctx);
    if (after === undefined) return;
    report(partitioned, after, log);
    const open = partitioned.filter((o) => !after.some((a) => a.service === 'order' && a.key === o.orderId && a.status === 'done'));
    log(open.length === 0
      ? `every order placed during the partition finished once the links healed`
      : `${open.length} of them still open after ${settleWithinMs / 1000} s: ${open.map((o) => o.orderId).join(', ')}`);
  }
  log('');
  log(`follow one workflow: npx troupe trace ${nodes[0].url} ${(partitioned?.[0] ?? placed[0]).orderId}`);
  log(`watch the cluster: npx troupe status ${nodes[0].url}, or the inspector at ${nodes[0].url}/`);
}

/**
 * Polls every node's actors until every placed order has ended. Resolves with the last
 * rows seen (also at the deadline, so the report shows what is still open), or
 * `undefined` when the cluster is stopping.
 */
async function settle(
  nodes: DemoContext['nodes'],
  orderIds: ReadonlySet<string>,
  call: AdminCall,
): Promise<ActorRow[] | undefined> {
  const { signal } = call;
  const deadline = Date.now() + settleWithinMs;
  for (;;) {
    // Each node lists only the actors it hosts, so asking all of them finds every service.
    const rows = (await Promise.all(nodes.map((node) => listActors(node.url, call)))).flat();
    if (signal.aborted) return undefined;
    const ended = rows.filter((a) => a.service === 'order' && a.key !== null && orderIds.has(a.key) && a.status === 'done');
    if (ended.length === orderIds.size || Date.now() >= deadline) return rows;
    if (!(await pause(pollEveryMs, signal))) return undefined;
  }
}

/** Prints one line per placed order: what it asked for and how it ended. */
function report(placed: readonly PlacedOrder[], actors: readonly ActorRow[], log: DemoContext['log']): void {
  const byKey = new Map(actors.filter((a) => a.service === 'order').map((a) => [a.key, a]));
  const header = ['order', 'via', 'sku', 'qty', 'amount', 'state', 'reason'];
  const rows = placed.map((order) => {
    const actor = byKey.get(order.orderId);
    const state = actor === undefined ? 'unseen' : typeof actor.state === 'string' ? actor.state : JSON.stringify(actor.state);
    const reason = typeof actor?.context.reason === 'string' ? actor.context.reason : '';
    return [order.orderId, order.node, order.sku, String(order.qty), String(order.amount), state, reason];
  });
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col].length)));
  const line = (cells: readonly string[]) => cells.map((c, col) => c.padEnd(widths[col])).join('  ').trimEnd();
  log(line(header));
  for (const row of rows) log(line(row));
}
