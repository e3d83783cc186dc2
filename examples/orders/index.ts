/**
 * The orders app: the order → inventory → payment → shipping choreography, with
 * compensation, on three nodes. No service calls another: each reacts to what the others
 * publish, so the workflow keeps going across partitions and catches up after them.
 *
 * `troupe cluster --app examples/orders` starts n1 (order), n2 (inventory, payment) and
 * n3 (shipping), then runs {@link ordersDemo}.
 */
import { inventoryMachine } from '../../machines/inventory.js';
import { orderMachine } from '../../machines/order.js';
import { paymentMachine } from '../../machines/payment.js';
import { shippingMachine } from '../../machines/shipping.js';
import { defineService } from '../../runtime/define-service.js';
import { defineApp } from '../../runtime/service.js';
import { ordersDemo } from './demo.js';

/**
 * Keys an event by its order id; an event without one has no order and goes to the DLQ.
 * Every event it keys declares an `orderId` (`defineService` checks that), but data comes
 * off the wire, so it looks before it trusts.
 */
function byOrderId(event: { readonly data: { readonly orderId: string } }): string | undefined {
  const orderId: unknown = (event.data as { orderId?: unknown } | null | undefined)?.orderId;
  return typeof orderId === 'string' && orderId !== '' ? orderId : undefined;
}

/** The order: one actor per order id, the start and the end of the workflow. */
export const orderService = defineService({
  name: 'order',
  machine: orderMachine,
  on: ['OrderPlaced', 'InventoryRejected', 'PaymentDeclined', 'InventoryReleased', 'OrderShipped'],
  key: byOrderId,
});

/** Inventory: a singleton, since the stock of every sku is one ledger, changed one event at a time. */
export const inventoryService = defineService({ name: 'inventory', machine: inventoryMachine, on: ['OrderCreated', 'PaymentDeclined'] });

/** Payment: one actor per order id. */
export const paymentService = defineService({ name: 'payment', machine: paymentMachine, on: ['InventoryReserved'], key: byOrderId });

/** Shipping: one actor per order id. */
export const shippingService = defineService({ name: 'shipping', machine: shippingMachine, on: ['PaymentCaptured'], key: byOrderId });

/** The orders app definition, as `troupe node --app` and `troupe cluster --app` load it. */
export default defineApp({
  name: 'orders',
  services: [orderService, inventoryService, paymentService, shippingService],
  placement: {
    n1: ['order'],
    n2: ['inventory', 'payment'],
    n3: ['shipping'],
  },
  cluster: { nodes: ['n1', 'n2', 'n3'] },
  demo: ordersDemo,
});
