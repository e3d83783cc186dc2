/**
 * Pins what `defineService` rejects at compile time. `npm run typecheck` (part of
 * `npm test`) checks this file: each `@ts-expect-error` line must be an error, and an
 * unused one is itself an error, so this fails to type check if a wrong `on` list or key
 * function ever stops being rejected. The run-time assertions only make tap count it.
 */
import t from 'tap';
import { setup } from 'xstate';
import { defineApp } from '../runtime/service.js';
import { defineService, type ConsumedBy, type EmittedBy } from '../runtime/define-service.js';
import { paymentMachine } from '../machines/payment.js';
import { orderMachine } from '../machines/order.js';

/** Compiles only when `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equal<A, B>): boolean => proof;

const payment = defineService({
  name: 'payment',
  machine: paymentMachine,
  on: ['InventoryReserved'],
  key: (event) => event.data.orderId,
});

const order = defineService({
  name: 'order',
  machine: orderMachine,
  on: ['OrderPlaced', 'PaymentDeclined', 'OrderShipped'],
  // Every event named in `on` carries an order id, so reading it compiles.
  key: (event) => event.data.orderId,
});

t.test('a service names only event types its machine accepts', async (t) => {
  defineService({
    name: 'payment',
    machine: paymentMachine,
    // @ts-expect-error payment's machine does not accept OrderPlaced
    on: ['InventoryReserved', 'OrderPlaced'],
  });
  defineService({
    name: 'order',
    machine: orderMachine,
    // @ts-expect-error a misspelt type is not one the machine accepts
    on: ['OrderPlace'],
  });
  t.equal(payment.on[0], 'InventoryReserved');
});

t.test('a key function reads only fields the subscribed events carry', async (t) => {
  defineService({
    name: 'payment',
    machine: paymentMachine,
    on: ['InventoryReserved'],
    // @ts-expect-error InventoryReserved carries no customerId
    key: (event) => event.data.customerId,
  });
  defineService({
    name: 'order',
    machine: orderMachine,
    on: ['OrderPlaced', 'InventoryRejected'],
    // @ts-expect-error `reason` is on InventoryRejected but not on OrderPlaced
    key: (event) => event.data.reason,
  });
  defineService({
    name: 'order',
    machine: orderMachine,
    on: ['OrderPlaced'],
    // @ts-expect-error a key is a string (or undefined), not the order's quantity
    key: (event) => event.data.qty,
  });
  const placed = { type: 'OrderPlaced' as const, data: { orderId: 'o-1', sku: 'widget', qty: 1, amount: 5 }, ts: 0 };
  t.equal(order.key?.(placed), 'o-1', 'the key function runs on the event it is typed for');
});

t.test('what a service consumes and emits is typed from its machine', async (t) => {
  t.ok(same<ConsumedBy<typeof payment>['type'], 'InventoryReserved'>(true));
  t.ok(same<EmittedBy<typeof payment>['type'], 'PaymentCaptured' | 'PaymentDeclined'>(true));
  t.ok(same<ConsumedBy<typeof order>['type'], 'OrderPlaced' | 'PaymentDeclined' | 'OrderShipped'>(true));
  // @ts-expect-error payment does not emit OrderShipped
  t.ok(same<EmittedBy<typeof payment>['type'], 'PaymentCaptured' | 'PaymentDeclined' | 'OrderShipped'>(true));
});

t.test('a machine that declares no event types accepts any type, and typed services make an app', async (t) => {
  const loose = setup({}).createMachine({ id: 'loose' });
  const anything = defineService({ name: 'loose', machine: loose, on: ['Whatever'] });
  const app = defineApp({ name: 'typed', services: [payment, order, anything], placement: { n1: ['payment', 'order', 'loose'] } });
  t.same(app.services.map((s) => s.name), ['payment', 'order', 'loose']);
});

t.test('upcasters name only subscribed types, and the newest returns the data the machine takes', async (t) => {
  const shop = setup({
    types: { events: {} as { type: 'OrderPlaced'; data: { orderId: string; lines: { sku: string; qty: number }[] } } | { type: 'Cancelled'; data: { orderId: string } } },
  }).createMachine({ id: 'shop' });
  type V1 = { orderId: string; sku: string };
  type V2 = { orderId: string; sku: string; qty: number };
  const upcast = defineService({
    name: 'shop',
    machine: shop,
    on: ['OrderPlaced'],
    versions: {
      OrderPlaced: {
        2: (v1: V1): V2 => ({ ...v1, qty: 1 }),
        3: (v2: V2) => ({ orderId: v2.orderId, lines: [{ sku: v2.sku, qty: v2.qty }] }),
      },
    },
  });
  defineService({
    name: 'shop',
    machine: shop,
    on: ['OrderPlaced'],
    // @ts-expect-error Cancelled is not in `on`: nothing would upcast it
    versions: { Cancelled: { 2: (v1: { id: string }) => ({ orderId: v1.id }) } },
  });
  defineService({
    name: 'shop',
    machine: shop,
    on: ['OrderPlaced'],
    versions: {
      OrderPlaced: {
        2: (v1: V1): V2 => ({ ...v1, qty: 1 }),
        // @ts-expect-error the newest upcaster must return the machine's OrderPlaced data, not V2's shape
        3: (v2: V2) => ({ orderId: v2.orderId, sku: v2.sku }),
      },
    },
  });
  t.equal(Object.keys(upcast.versions?.OrderPlaced ?? {}).length, 2);
});
