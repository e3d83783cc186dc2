import t from 'tap';
import { createActor } from 'xstate';
import { initialStock, inventoryMachine, type InventoryEmitted } from '../../machines/inventory.js';

/** A started inventory actor with everything it emits collected. */
function startInventory() {
  const actor = createActor(inventoryMachine, { input: { key: undefined } });
  const emitted: InventoryEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return { actor, emitted };
}

/** An `OrderCreated` event for `orderId`. */
function created(orderId: string, sku: string, qty: number, amount = 50, ts = 1000) {
  return { type: 'OrderCreated' as const, data: { orderId, sku, qty, amount }, ts };
}

t.test('starts with the initial stock and no reservations', async (t) => {
  const { actor } = startInventory();
  t.same(actor.getSnapshot().context, { stock: initialStock, reservations: {} });
  t.same(initialStock, { widget: 10, gadget: 5, gizmo: 2 });
});

t.test('reserves stock it has and announces InventoryReserved with the amount', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'widget', 3, 120));
  const { stock, reservations } = actor.getSnapshot().context;
  t.equal(stock.widget, 7);
  t.same(reservations['o-1'], { status: 'reserved', sku: 'widget', qty: 3, at: 1000 });
  t.same(emitted, [{ type: 'InventoryReserved', data: { orderId: 'o-1', sku: 'widget', qty: 3, amount: 120 } }]);
});

t.test('carries shipDelayMs along in InventoryReserved', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send({ type: 'OrderCreated', data: { orderId: 'o-1', sku: 'widget', qty: 1, amount: 5, shipDelayMs: 4000 }, ts: 1000 });
  t.equal(emitted[0]?.type, 'InventoryReserved');
  t.match(emitted[0]?.data, { shipDelayMs: 4000 });
});

t.test('rejects an order that exceeds the stock and leaves the stock alone', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'gizmo', 3));
  t.equal(actor.getSnapshot().context.stock.gizmo, 2);
  t.same(emitted, [
    {
      type: 'InventoryRejected',
      data: { orderId: 'o-1', sku: 'gizmo', qty: 3, reason: 'insufficient stock for gizmo: 3 requested, 2 available' },
    },
  ]);
  t.match(actor.getSnapshot().context.reservations['o-1'], { status: 'rejected' });
});

t.test('rejects once earlier reservations have used the stock up', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'gizmo', 2));
  actor.send(created('o-2', 'gizmo', 1));
  t.equal(actor.getSnapshot().context.stock.gizmo, 0);
  t.same(
    emitted.map((e) => e.type),
    ['InventoryReserved', 'InventoryRejected'],
  );
});

t.test('rejects an unknown sku, even one named like an Object property', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'doohickey', 1));
  actor.send(created('o-2', 'constructor', 1));
  t.same(
    emitted.map((e) => e.type),
    ['InventoryRejected', 'InventoryRejected'],
  );
  t.match(emitted[0]?.data, { reason: /0 available/ });
});

t.test('rejects a malformed order with a reason instead of failing', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send({ type: 'OrderCreated', data: { orderId: 'o-1', sku: 'widget' } as never, ts: 1000 });
  actor.send({ type: 'OrderCreated', data: { orderId: 'o-2', sku: 'widget', qty: -1, amount: 5 }, ts: 1000 });
  actor.send({ type: 'OrderCreated', data: { orderId: 'o-3', qty: 1, amount: 5 } as never, ts: 1000 });
  t.equal(actor.getSnapshot().status, 'active');
  t.same(emitted, [
    { type: 'InventoryRejected', data: { orderId: 'o-1', sku: 'widget', qty: null, reason: 'invalid order: qty must be a positive integer' } },
    { type: 'InventoryRejected', data: { orderId: 'o-2', sku: 'widget', qty: -1, reason: 'invalid order: qty must be a positive integer' } },
    { type: 'InventoryRejected', data: { orderId: 'o-3', sku: null, qty: 1, reason: 'invalid order: sku must be a non-empty string' } },
  ]);
  t.equal(actor.getSnapshot().context.stock.widget, 10);
});

t.test('ignores an OrderCreated that names no order', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send({ type: 'OrderCreated', data: { sku: 'widget', qty: 1, amount: 5 } as never, ts: 1000 });
  actor.send({ type: 'OrderCreated', data: undefined as never, ts: 1000 });
  t.same(emitted, []);
  t.same(actor.getSnapshot().context.reservations, {});
});

t.test('does not reserve twice for a repeated OrderCreated', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'widget', 4));
  actor.send(created('o-1', 'widget', 4, 50, 2000));
  t.equal(actor.getSnapshot().context.stock.widget, 6);
  t.equal(emitted.length, 1);
  t.equal(actor.getSnapshot().context.reservations['o-1']?.at, 1000, 'the first answer stands');
});

t.test('keeps its first answer for a rejected order even when stock would now allow it', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'gizmo', 2));
  actor.send(created('o-2', 'gizmo', 2)); // rejected: o-1 holds both
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1' }, ts: 1100 }); // stock back to 2
  actor.send(created('o-2', 'gizmo', 2, 50, 1200));
  t.equal(actor.getSnapshot().context.stock.gizmo, 2);
  t.same(
    emitted.map((e) => e.type),
    ['InventoryReserved', 'InventoryRejected', 'InventoryReleased'],
  );
});

t.test('releases the reserved stock when payment is declined and announces it', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'gadget', 2, 1500));
  t.equal(actor.getSnapshot().context.stock.gadget, 3);
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1' }, ts: 1100 });
  const { stock, reservations } = actor.getSnapshot().context;
  t.equal(stock.gadget, 5);
  t.same(reservations['o-1'], { status: 'released', sku: 'gadget', qty: 2, at: 1100 });
  t.same(emitted[1], { type: 'InventoryReleased', data: { orderId: 'o-1', sku: 'gadget', qty: 2 } });
});

t.test('releases only once, and never for an order it does not hold', async (t) => {
  const { actor, emitted } = startInventory();
  actor.send(created('o-1', 'gadget', 2, 1500));
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1' }, ts: 1100 });
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1' }, ts: 1200 });
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-unknown' }, ts: 1300 });
  actor.send({ type: 'PaymentDeclined', data: undefined as never, ts: 1400 });
  actor.send(created('o-2', 'gizmo', 5));
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-2' }, ts: 1500 });
  t.same(actor.getSnapshot().context.stock, initialStock);
  t.same(
    emitted.map((e) => e.type),
    ['InventoryReserved', 'InventoryReleased', 'InventoryRejected'],
  );
});

t.test('resumes from a persisted snapshot that went through JSON', async (t) => {
  const { actor } = startInventory();
  actor.send(created('o-1', 'widget', 4));
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));

  const restored = createActor(inventoryMachine, { input: { key: undefined }, snapshot: persisted });
  const emitted: InventoryEmitted[] = [];
  restored.on('*', (event) => emitted.push(event));
  restored.start();
  restored.send(created('o-1', 'widget', 4));
  restored.send({ type: 'PaymentDeclined', data: { orderId: 'o-1' }, ts: 1100 });
  t.equal(restored.getSnapshot().context.stock.widget, 10);
  t.same(
    emitted.map((e) => e.type),
    ['InventoryReleased'],
  );
});
