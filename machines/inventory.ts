/**
 * Inventory: one singleton actor holding the stock of every sku.
 *
 * On `OrderCreated` it reserves the order's quantity when there is enough stock
 * (`InventoryReserved`) or refuses it (`InventoryRejected`). On `PaymentDeclined` it is
 * the compensating step of the choreography: it puts the reserved stock back and says so
 * (`InventoryReleased`), which is what lets the order finish cancelling.
 *
 * Every answer is recorded in `reservations`, by order id, and never forgotten, so the
 * actor is idempotent per order: a repeated `OrderCreated` (a replayed dead letter, a
 * second publish of the same order) does not reserve twice, and a decline for an order
 * it never reserved, or already released, does nothing.
 *
 * Pure XState: it imports nothing from troupe, takes time from `event.ts`, and publishes
 * with `emit`, so any XState tool can run or draw it.
 */
import type { OrderLine } from './order-line.js';
import { assertEvent, assign, emit, setup } from 'xstate';

/**
 * The stock a fresh inventory starts with. `gizmo` is scarce on purpose, so the orders
 * demo shows a rejection next to the orders that go through.
 */
export const initialStock: Readonly<Record<string, number>> = Object.freeze({ widget: 10, gadget: 5, gizmo: 2 });

/** What `OrderCreated` carries. */
export type OrderCreatedData = OrderLine;

/**
 * The events inventory reacts to. Their `data` types state the contract, but the data
 * comes off the wire, so guards and actions read it defensively.
 */
export type InventoryEvent =
  | { readonly type: 'OrderCreated'; readonly data: OrderCreatedData; readonly ts: number }
  | { readonly type: 'PaymentDeclined'; readonly data: { readonly orderId: string }; readonly ts: number };

/** What inventory publishes. */
export type InventoryEmitted =
  | {
      readonly type: 'InventoryReserved';
      readonly data: OrderLine;
    }
  | {
      readonly type: 'InventoryRejected';
      readonly data: { readonly orderId: string; readonly sku: string | null; readonly qty: number | null; readonly reason: string };
    }
  | { readonly type: 'InventoryReleased'; readonly data: { readonly orderId: string; readonly sku: string; readonly qty: number } };

/** Stock set aside for an order (`reserved`), or given back after a decline (`released`). */
export interface HeldStock {
  readonly status: 'reserved' | 'released';
  readonly sku: string;
  readonly qty: number;
  /** Time of the event that last changed it. */
  readonly at: number;
}

/** An order inventory refused, and why. */
export interface Rejection {
  readonly status: 'rejected';
  /** As given, or `null` when the order did not carry a usable one. */
  readonly sku: string | null;
  readonly qty: number | null;
  readonly reason: string;
  readonly at: number;
}

/** Inventory's answer to one order. */
export type Reservation = HeldStock | Rejection;

/** Stock on hand per sku, and every order's answer by order id. */
export interface InventoryContext {
  readonly stock: Readonly<Record<string, number>>;
  readonly reservations: Readonly<Record<string, Reservation>>;
}

/** The input every actor gets; inventory is a singleton, so `key` is `undefined`. */
export interface InventoryInput {
  readonly key: string | undefined;
}

/** The fields of an event's `data`, or an empty record when it has none. */
function fieldsOf(data: unknown): Record<string, unknown> {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

/** The event's order id, or `undefined` when it carries none. */
function orderIdOf(data: unknown): string | undefined {
  const { orderId } = fieldsOf(data);
  return typeof orderId === 'string' && orderId !== '' ? orderId : undefined;
}

/** Why an order cannot be reserved whatever the stock, or `undefined` when it can be. */
function orderProblem(data: unknown): string | undefined {
  const { sku, qty } = fieldsOf(data);
  if (typeof sku !== 'string' || sku === '') return 'invalid order: sku must be a non-empty string';
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) return 'invalid order: qty must be a positive integer';
  return undefined;
}

/** Stock on hand for `sku`; an unknown sku (even one named like `constructor`) has none. */
function onHand(stock: InventoryContext['stock'], sku: string): number {
  return Object.hasOwn(stock, sku) ? stock[sku] : 0;
}

/** The reservation held for an order, or `undefined` (own keys only, as for stock). */
function reservationOf(context: InventoryContext, orderId: string | undefined): Reservation | undefined {
  return orderId !== undefined && Object.hasOwn(context.reservations, orderId) ? context.reservations[orderId] : undefined;
}

/** The answer just recorded for the event's order; the record action runs first. */
function recorded(context: InventoryContext, data: unknown): Reservation {
  return context.reservations[orderIdOf(data) as string];
}

/**
 * The inventory service's machine (`id: 'inventory'`), seeded with {@link initialStock}.
 *
 * @example
 * const inventory = createActor(inventoryMachine, { input: { key: undefined } });
 * inventory.on('*', (e) => console.log(e.type, e.data));
 * inventory.start();
 * inventory.send({ type: 'OrderCreated', data: { orderId: 'o-1', sku: 'widget', qty: 2, amount: 40 }, ts: Date.now() });
 */
export const inventoryMachine = setup({
  types: {
    context: {} as InventoryContext,
    events: {} as InventoryEvent,
    input: {} as InventoryInput,
    emitted: {} as InventoryEmitted,
  },
  guards: {
    lacksOrderId: ({ event }) => orderIdOf(event.data) === undefined,
    isAlreadyAnswered: ({ context, event }) => reservationOf(context, orderIdOf(event.data)) !== undefined,
    isMalformed: ({ event }) => orderProblem(event.data) !== undefined,
    isInStock: ({ context, event }) => {
      assertEvent(event, 'OrderCreated');
      return onHand(context.stock, event.data.sku) >= event.data.qty;
    },
    holdsReservation: ({ context, event }) => reservationOf(context, orderIdOf(event.data))?.status === 'reserved',
  },
  actions: {
    reserve: assign(({ context, event }) => {
      assertEvent(event, 'OrderCreated');
      const { orderId, sku, qty } = event.data;
      return {
        stock: { ...context.stock, [sku]: onHand(context.stock, sku) - qty },
        reservations: { ...context.reservations, [orderId]: { status: 'reserved', sku, qty, at: event.ts } },
      };
    }),
    announceReserved: emit(({ event }) => {
      assertEvent(event, 'OrderCreated');
      const { orderId, sku, qty, amount, shipDelayMs } = event.data;
      // Amount and delay are not inventory's business; it carries them for payment and shipping.
      return {
        type: 'InventoryReserved' as const,
        data: { orderId, sku, qty, amount, ...(shipDelayMs === undefined ? {} : { shipDelayMs }) },
      };
    }),
    recordRejection: assign(({ context, event }) => {
      assertEvent(event, 'OrderCreated');
      const { sku, qty } = fieldsOf(event.data);
      const reason =
        orderProblem(event.data) ??
        `insufficient stock for ${event.data.sku}: ${event.data.qty} requested, ${onHand(context.stock, event.data.sku)} available`;
      const rejection: Rejection = {
        status: 'rejected',
        sku: typeof sku === 'string' ? sku : null,
        qty: typeof qty === 'number' ? qty : null,
        reason,
        at: event.ts,
      };
      return { reservations: { ...context.reservations, [event.data.orderId]: rejection } };
    }),
    announceRejected: emit(({ context, event }) => {
      const rejection = recorded(context, event.data) as Rejection;
      return {
        type: 'InventoryRejected' as const,
        data: { orderId: orderIdOf(event.data) as string, sku: rejection.sku, qty: rejection.qty, reason: rejection.reason },
      };
    }),
    release: assign(({ context, event }) => {
      const orderId = orderIdOf(event.data) as string;
      const held = reservationOf(context, orderId) as HeldStock;
      return {
        stock: { ...context.stock, [held.sku]: onHand(context.stock, held.sku) + held.qty },
        reservations: { ...context.reservations, [orderId]: { ...held, status: 'released', at: event.ts } },
      };
    }),
    announceReleased: emit(({ context, event }) => {
      const released = recorded(context, event.data) as HeldStock;
      return {
        type: 'InventoryReleased' as const,
        data: { orderId: orderIdOf(event.data) as string, sku: released.sku, qty: released.qty },
      };
    }),
  },
}).createMachine({
  id: 'inventory',
  context: () => ({ stock: { ...initialStock }, reservations: {} }),
  initial: 'tracking',
  states: {
    // One state: inventory is a ledger, and its decisions are guarded self-transitions.
    tracking: {
      on: {
        OrderCreated: [
          // With no order id there is nobody to answer and nothing to record the answer under.
          { guard: 'lacksOrderId' },
          // Idempotence: an order already answered keeps its first answer.
          { guard: 'isAlreadyAnswered' },
          { guard: 'isMalformed', actions: ['recordRejection', 'announceRejected'] },
          { guard: 'isInStock', actions: ['reserve', 'announceReserved'] },
          { actions: ['recordRejection', 'announceRejected'] },
        ],
        // Only a held reservation is released: unknown, rejected or released orders are ignored.
        PaymentDeclined: { guard: 'holdsReservation', actions: ['release', 'announceReleased'] },
      },
    },
  },
});
