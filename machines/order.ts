/**
 * The order: one actor per order id, the start and the end of the orders choreography.
 *
 * It records what was placed, announces it with `OrderCreated`, and then only listens:
 * inventory may reject it, payment may decline it (then inventory puts the stock back
 * and says so), or shipping ships it. Nobody tells the order what to do next; it follows
 * what the other services publish.
 *
 * ```
 * idle ─OrderPlaced─▶ pending ─OrderShipped──────▶ completed
 *                       ├─InventoryRejected──────▶ cancelled
 *                       └─PaymentDeclined─▶ compensating ─InventoryReleased─▶ cancelled
 * ```
 *
 * Pure XState: it imports nothing from troupe, takes time from `event.ts`, and publishes
 * with `emit`, so any XState tool can run or draw it.
 */
import type { OrderLine } from './order-line.js';
import { assertEvent, assign, emit, setup } from 'xstate';

/** What `OrderPlaced` carries. */
export type OrderPlacedData = OrderLine;

/**
 * The events the order reacts to. Their `data` types state the contract, but the data
 * comes off the wire, so guards and actions read it defensively.
 */
export type OrderEvent =
  | { readonly type: 'OrderPlaced'; readonly data: OrderPlacedData; readonly ts: number }
  | { readonly type: 'InventoryRejected'; readonly data: { readonly orderId: string; readonly reason?: string }; readonly ts: number }
  | { readonly type: 'PaymentDeclined'; readonly data: { readonly orderId: string; readonly reason?: string }; readonly ts: number }
  | { readonly type: 'InventoryReleased'; readonly data: { readonly orderId: string }; readonly ts: number }
  | { readonly type: 'OrderShipped'; readonly data: { readonly orderId: string }; readonly ts: number };

/** What the order publishes. */
export type OrderEmitted = {
  readonly type: 'OrderCreated';
  readonly data: OrderLine;
};

/**
 * What a person looking at `GET /actors` wants to see. Unknown values are `null` rather
 * than absent, so the JSON shows every field. Times are event times (`ts`, ms).
 */
export interface OrderContext {
  readonly orderId: string | null;
  readonly sku: string | null;
  readonly qty: number | null;
  readonly amount: number | null;
  /** Requested shipping delay; `null` lets shipping use its default. */
  readonly shipDelayMs: number | null;
  /** Why the order was (or is being) cancelled; `null` otherwise. */
  readonly reason: string | null;
  readonly placedAt: number | null;
  readonly updatedAt: number | null;
  readonly completedAt: number | null;
  readonly cancelledAt: number | null;
}

/** The input every actor gets: the order id it is keyed by. */
export interface OrderInput {
  readonly key: string | undefined;
}

/** Why `data` is not a placeable order, or `undefined` when it is. */
function orderProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'order data is missing';
  const { orderId, sku, qty, amount } = data as Record<string, unknown>;
  if (typeof orderId !== 'string' || orderId === '') return 'orderId must be a non-empty string';
  if (typeof sku !== 'string' || sku === '') return 'sku must be a non-empty string';
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) return 'qty must be a positive integer';
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) return 'amount must be a non-negative number';
  return undefined;
}

/**
 * The requested shipping delay, or `null`. A bad value is dropped rather than cancelling
 * a purchase over a tuning knob; shipping then uses its default.
 */
function shipDelayOf(data: OrderPlacedData): number | null {
  const value: unknown = data.shipDelayMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** The `reason` another service gave, or a fallback when it gave none. */
function reasonOf(data: unknown, fallback: string): string {
  const reason = typeof data === 'object' && data !== null ? (data as { reason?: unknown }).reason : undefined;
  return typeof reason === 'string' && reason !== '' ? reason : fallback;
}

/**
 * The order service's machine (`id: 'order'`). Create it with `input: { key: orderId }`.
 *
 * @example
 * const order = createActor(orderMachine, { input: { key: 'o-1' } });
 * order.on('OrderCreated', (e) => console.log(e.data));
 * order.start();
 * order.send({ type: 'OrderPlaced', data: { orderId: 'o-1', sku: 'widget', qty: 1, amount: 20 }, ts: Date.now() });
 */
export const orderMachine = setup({
  types: {
    context: {} as OrderContext,
    events: {} as OrderEvent,
    input: {} as OrderInput,
    emitted: {} as OrderEmitted,
  },
  guards: {
    isWellFormed: ({ event }) => orderProblem(event.data) === undefined,
  },
  actions: {
    recordOrder: assign(({ event }) => {
      assertEvent(event, 'OrderPlaced');
      return {
        orderId: event.data.orderId,
        sku: event.data.sku,
        qty: event.data.qty,
        amount: event.data.amount,
        shipDelayMs: shipDelayOf(event.data),
        placedAt: event.ts,
        updatedAt: event.ts,
      };
    }),
    announceCreated: emit(({ context }) => ({
      type: 'OrderCreated' as const,
      data: {
        // Set by recordOrder, which runs first in the same transition.
        orderId: context.orderId as string,
        sku: context.sku as string,
        qty: context.qty as number,
        amount: context.amount as number,
        ...(context.shipDelayMs === null ? {} : { shipDelayMs: context.shipDelayMs }),
      },
    })),
    refuseOrder: assign(({ event }) => {
      assertEvent(event, 'OrderPlaced');
      return {
        reason: `invalid order: ${orderProblem(event.data)}`,
        placedAt: event.ts,
        updatedAt: event.ts,
        cancelledAt: event.ts,
      };
    }),
    recordRejection: assign(({ event }) => ({
      reason: reasonOf(event.data, 'rejected by inventory'),
      updatedAt: event.ts,
      cancelledAt: event.ts,
    })),
    // The reason is kept while compensating, so the order shows why it is winding down.
    recordDecline: assign(({ event }) => ({
      reason: reasonOf(event.data, 'payment declined'),
      updatedAt: event.ts,
    })),
    recordCancellation: assign(({ event }) => ({ updatedAt: event.ts, cancelledAt: event.ts })),
    recordCompletion: assign(({ event }) => ({ updatedAt: event.ts, completedAt: event.ts })),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => ({
    orderId: input.key ?? null,
    sku: null,
    qty: null,
    amount: null,
    shipDelayMs: null,
    reason: null,
    placedAt: null,
    updatedAt: null,
    completedAt: null,
    cancelledAt: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        OrderPlaced: [
          { guard: 'isWellFormed', target: 'pending', actions: ['recordOrder', 'announceCreated'] },
          // Announcing a malformed order would only make every other service reject it.
          { target: 'cancelled', actions: 'refuseOrder' },
        ],
      },
    },
    pending: {
      on: {
        InventoryRejected: { target: 'cancelled', actions: 'recordRejection' },
        PaymentDeclined: { target: 'compensating', actions: 'recordDecline' },
        OrderShipped: { target: 'completed', actions: 'recordCompletion' },
      },
    },
    // Stock was reserved for this order: it is cancelled only once inventory has put it back.
    compensating: {
      on: {
        InventoryReleased: { target: 'cancelled', actions: 'recordCancellation' },
      },
    },
    cancelled: { type: 'final' },
    completed: { type: 'final' },
  },
});
