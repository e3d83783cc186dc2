/**
 * The orders demo that `troupe cluster --app examples/orders` runs once every node is up.
 *
 * It places a handful of orders through the admin API of different nodes, paced a little
 * apart so the log reads as a story, then polls every node's `GET /actors` until each
 * order has ended and prints what became of it. The orders are picked against the
 * inventory's initial stock so that, on a fresh cluster, whatever order the events
 * arrive in, some complete, some are declined by payment (and their stock is released),
 * and some are rejected by inventory.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { customAlphabet } from 'nanoid';
import type { DemoContext } from '../../runtime/service.js';

/** An order the demo places. */
export interface DemoOrder {
  readonly sku: string;
  readonly qty: number;
  readonly amount: number;
}

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

/** One row of `GET /actors`. */
interface ActorRow {
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  readonly status: string;
  readonly context: Record<string, unknown>;
}

/** An order the demo placed: its id, what it asked for, and the node it was sent to. */
interface PlacedOrder extends DemoOrder {
  readonly orderId: string;
  readonly node: string;
}

/** Run ids are short and lower-case so order ids stay readable in logs and traces. */
const newRunId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 4);

/** Places the demo's orders across the cluster and reports their outcomes. */
export async function ordersDemo(ctx: DemoContext): Promise<void> {
  const { nodes, log, signal } = ctx;
  if (nodes.length === 0) return;
  const runId = newRunId();
  log(`placing ${demoOrders.length} orders across ${nodes.map((n) => n.id).join(', ')} (run ${runId})`);

  const placed: PlacedOrder[] = [];
  for (const [i, order] of demoOrders.entries()) {
    const node = nodes[i % nodes.length];
    const orderId = `o-${runId}-${i + 1}`;
    if (await placeOrder(node.url, orderId, order, signal)) {
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

  const actors = await settle(nodes, new Set(placed.map((o) => o.orderId)), signal);
  if (actors === undefined) return;
  report(placed, actors, log);
  const inventory = actors.find((a) => a.service === 'inventory');
  if (inventory !== undefined) log(`stock left: ${JSON.stringify(inventory.context.stock)}`);
  log(`follow one workflow: curl ${nodes[0].url}/trace/${placed[0].orderId}`);
}

/**
 * Publishes one `OrderPlaced`; its correlation id is the order id, so `GET /trace/<orderId>`
 * shows the whole workflow. Resolves `false` when the node refuses or cannot be reached.
 */
async function placeOrder(url: string, orderId: string, order: DemoOrder, signal: AbortSignal): Promise<boolean> {
  const body = { type: 'OrderPlaced', correlationId: orderId, data: { orderId, sku: order.sku, qty: order.qty, amount: order.amount } };
  try {
    const res = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    await res.body?.cancel();
    return res.status === 201;
  } catch {
    return false;
  }
}

/**
 * Polls every node's actors until every placed order has ended. Resolves with the last
 * rows seen (also at the deadline, so the report shows what is still open), or
 * `undefined` when the cluster is stopping.
 */
async function settle(
  nodes: DemoContext['nodes'],
  orderIds: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<ActorRow[] | undefined> {
  const deadline = Date.now() + settleWithinMs;
  for (;;) {
    // Each node lists only the actors it hosts, so asking all of them finds every service.
    const rows = (await Promise.all(nodes.map((node) => listActors(node.url, signal)))).flat();
    if (signal.aborted) return undefined;
    const ended = rows.filter((a) => a.service === 'order' && a.key !== null && orderIds.has(a.key) && a.status === 'done');
    if (ended.length === orderIds.size || Date.now() >= deadline) return rows;
    if (!(await pause(pollEveryMs, signal))) return undefined;
  }
}

/** One node's `GET /actors`; an unreachable node (cut, restarting) lists none. */
async function listActors(url: string, signal: AbortSignal): Promise<ActorRow[]> {
  try {
    const res = await fetch(`${url}/actors`, { signal });
    if (!res.ok) {
      await res.body?.cancel();
      return [];
    }
    const rows: unknown = await res.json();
    return Array.isArray(rows) ? (rows as ActorRow[]) : [];
  } catch {
    return [];
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

/** Waits `ms`; resolves `false` instead when the cluster stops meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
