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
import { defineApp, type ServiceEvent } from '../../runtime/service.js';
import { ordersDemo } from './demo.js';

/** Keys an event by its order id; an event without one has no order and goes to the DLQ. */
function byOrderId(event: ServiceEvent): string | undefined {
  const orderId: unknown = event.data?.orderId;
  return typeof orderId === 'string' && orderId !== '' ? orderId : undefined;
}

/** The orders app definition, as `troupe node --app` and `troupe cluster --app` load it. */
export default defineApp({
  name: 'orders',
  services: [
    {
      name: 'order',
      machine: orderMachine,
      on: ['OrderPlaced', 'InventoryRejected', 'PaymentDeclined', 'InventoryReleased', 'OrderShipped'],
      key: byOrderId,
    },
    // A singleton: the stock of every sku is one ledger, changed one event at a time.
    { name: 'inventory', machine: inventoryMachine, on: ['OrderCreated', 'PaymentDeclined'] },
    { name: 'payment', machine: paymentMachine, on: ['InventoryReserved'], key: byOrderId },
    { name: 'shipping', machine: shippingMachine, on: ['PaymentCaptured'], key: byOrderId },
  ],
  placement: {
    n1: ['order'],
    n2: ['inventory', 'payment'],
    n3: ['shipping'],
  },
  cluster: { nodes: ['n1', 'n2', 'n3'] },
  demo: ordersDemo,
});
