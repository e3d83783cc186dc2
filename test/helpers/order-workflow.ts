/**
 * What the orders choreography must have done, read back from a converged log and the
 * order actors: every order ran its workflow exactly once.
 *
 * The orders are published with their order id as correlation id, so each workflow's
 * events are the log entries with that correlation id. A node that processed an event
 * twice (after a crash, or a duplicate delivery) emits the reaction twice, which shows up
 * here as two `InventoryReserved` or two `PaymentCaptured` for one order.
 */
import type { ActorInfo, LogEntry } from './admin-client.js';
import { byCorrelation } from './causal-log.js';

/** The end states of an order actor. */
export const ORDER_END_STATES = ['completed', 'cancelled'] as const;

/** An actor's state as one string (`'completed'`, or `'a.b'` for a nested state). */
export function stateName(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state && typeof state === 'object') {
    const [key, inner] = Object.entries(state)[0] ?? [];
    return key === undefined ? JSON.stringify(state) : inner === undefined || inner === null ? key : `${key}.${stateName(inner)}`;
  }
  return String(state);
}

/** The order actors among `actors`, by order id. */
export function orderActors(actors: readonly ActorInfo[]): Map<string, ActorInfo> {
  return new Map(actors.filter((a) => a.service === 'order').map((a) => [String(a.key), a]));
}

/** Whether an order actor has finished its workflow. */
export function orderDone(actor: ActorInfo | undefined): boolean {
  return actor !== undefined && (ORDER_END_STATES as readonly string[]).includes(stateName(actor.state));
}

const MAX_PROBLEMS = 25;

/**
 * Problems of the orders' workflows in a converged `log` against the order actors (from
 * the node hosting `order`): the set of orders with an `OrderPlaced` is the set of order
 * actors; each workflow has exactly one `OrderCreated` and one inventory answer; a rejected
 * order is cancelled with no payment; a reserved order has exactly one payment answer; a
 * declined payment (and only an amount over 1000 is declined) releases the stock once and
 * cancels; a captured one ships exactly once and completes.
 */
export function workflowProblems(log: readonly LogEntry[], actors: readonly ActorInfo[]): string[] {
  const problems: string[] = [];
  const report = (text: string): boolean => {
    problems.push(text);
    return problems.length < MAX_PROBLEMS;
  };
  const orders = orderActors(actors);
  const workflows = byCorrelation(log);
  const placed = new Set<string>();
  for (const e of log) {
    if (e.type === 'OrderPlaced') {
      const orderId = String(e.data?.orderId);
      if (placed.has(orderId)) report(`order ${orderId} was placed twice (${e.id})`);
      placed.add(orderId);
      if (e.correlationId !== orderId) report(`OrderPlaced ${e.id} of ${orderId} has correlationId ${e.correlationId}`);
    }
  }
  for (const orderId of orders.keys()) {
    if (!placed.has(orderId)) report(`order actor ${orderId} exists but no OrderPlaced for it is in the log`);
  }
  for (const orderId of placed) {
    const actor = orders.get(orderId);
    const events = workflows.get(orderId) ?? [];
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    const trail = events.map((e) => `${e.type}@${e.id}`).join(' → ');
    const state = actor ? stateName(actor.state) : '(no actor)';
    const amount = Number(events.find((e) => e.type === 'OrderPlaced')?.data?.amount);
    const wrong = (what: string): boolean => report(`order ${orderId} [${state}]: ${what}; events: ${trail}`);

    if (!actor) { if (!wrong('no order actor')) break; continue; }
    if (!orderDone(actor)) { if (!wrong(`not completed or cancelled (status ${actor.status})`)) break; continue; }
    if (count('OrderCreated') !== 1) { if (!wrong(`${count('OrderCreated')} OrderCreated`)) break; continue; }
    const reserved = count('InventoryReserved');
    const rejected = count('InventoryRejected');
    if (reserved + rejected !== 1) { if (!wrong(`${reserved} InventoryReserved and ${rejected} InventoryRejected`)) break; continue; }
    const captured = count('PaymentCaptured');
    const declined = count('PaymentDeclined');
    const released = count('InventoryReleased');
    const shipped = count('OrderShipped');
    let more = true; // false once enough problems are listed
    if (rejected === 1) {
      if (captured + declined + shipped + released !== 0) more = wrong('payment, release or shipping after a rejection');
      else if (state !== 'cancelled') more = wrong('rejected but not cancelled');
    } else if (captured + declined !== 1) {
      more = wrong(`${captured} PaymentCaptured and ${declined} PaymentDeclined`);
    } else if (declined === 1) {
      if (!(amount > 1000)) more = wrong(`amount ${amount} declined`);
      else if (released !== 1) more = wrong(`${released} InventoryReleased after a declined payment`);
      else if (shipped !== 0) more = wrong('shipped after a declined payment');
      else if (state !== 'cancelled') more = wrong('declined but not cancelled');
    } else {
      if (amount > 1000) more = wrong(`amount ${amount} captured`);
      else if (shipped !== 1) more = wrong(`${shipped} OrderShipped after a captured payment`);
      else if (released !== 0) more = wrong('stock released after a captured payment');
      else if (state !== 'completed') more = wrong('shipped but not completed');
    }
    if (!more) break;
  }
  return problems;
}

/** How the orders ended, for a comment line: `{ completed: 40, cancelled: 25 }`. */
export function orderOutcomes(actors: readonly ActorInfo[]): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const actor of orderActors(actors).values()) {
    const state = stateName(actor.state);
    outcomes[state] = (outcomes[state] ?? 0) + 1;
  }
  return outcomes;
}
