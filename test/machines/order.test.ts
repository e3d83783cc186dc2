import t from 'tap';
import { createActor } from 'xstate';
import { orderMachine, type OrderEmitted } from '../../machines/order.js';

const placed = { orderId: 'o-1', sku: 'widget', qty: 2, amount: 40 };

/** A started order actor keyed `o-1`, with everything it emits collected. */
function startOrder() {
  const actor = createActor(orderMachine, { input: { key: 'o-1' } });
  const emitted: OrderEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return { actor, emitted };
}

t.test('records a placed order and announces it with OrderCreated', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'pending');
  t.match(snapshot.context, { orderId: 'o-1', sku: 'widget', qty: 2, amount: 40, placedAt: 1000, updatedAt: 1000, reason: null });
  t.same(emitted, [{ type: 'OrderCreated', data: { orderId: 'o-1', sku: 'widget', qty: 2, amount: 40 } }]);
});

t.test('carries shipDelayMs along in OrderCreated', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: { ...placed, shipDelayMs: 4000 }, ts: 1000 });
  t.equal(emitted[0]?.data.shipDelayMs, 4000);
  t.equal(actor.getSnapshot().context.shipDelayMs, 4000);
});

t.test('drops a shipDelayMs that is not a usable number, and still creates the order', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: { ...placed, shipDelayMs: 'soon' as unknown as number }, ts: 1000 });
  t.equal(actor.getSnapshot().value, 'pending');
  t.notOk('shipDelayMs' in (emitted[0]?.data ?? {}));
});

t.test('cancels when inventory rejects it, keeping the reason', async (t) => {
  const { actor } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'InventoryRejected', data: { orderId: 'o-1', reason: 'insufficient stock' }, ts: 1100 });
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'cancelled');
  t.equal(snapshot.status, 'done');
  t.match(snapshot.context, { reason: 'insufficient stock', cancelledAt: 1100, completedAt: null });
});

t.test('waits for the stock to be released before cancelling a declined order', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1', reason: 'amount too high' }, ts: 1200 });
  t.equal(actor.getSnapshot().value, 'compensating');
  t.equal(actor.getSnapshot().context.reason, 'amount too high');
  t.equal(actor.getSnapshot().context.cancelledAt, null);

  actor.send({ type: 'InventoryReleased', data: { orderId: 'o-1' }, ts: 1300 });
  t.equal(actor.getSnapshot().value, 'cancelled');
  t.match(actor.getSnapshot().context, { reason: 'amount too high', cancelledAt: 1300, updatedAt: 1300 });
  t.equal(emitted.length, 1, 'publishes nothing beyond OrderCreated');
});

t.test('completes when the order is shipped', async (t) => {
  const { actor } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'OrderShipped', data: { orderId: 'o-1' }, ts: 1500 });
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'completed');
  t.equal(snapshot.status, 'done');
  t.match(snapshot.context, { completedAt: 1500, cancelledAt: null, reason: null });
});

t.test('falls back to a generic reason when a rejection gives none', async (t) => {
  const { actor } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'InventoryRejected', data: {} as { orderId: string }, ts: 1100 });
  t.equal(actor.getSnapshot().context.reason, 'rejected by inventory');
});

t.test('cancels a malformed order without announcing it', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: { orderId: 'o-1', sku: 'widget', amount: 40 } as never, ts: 1000 });
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'cancelled');
  t.match(snapshot.context.reason, /qty must be a positive integer/);
  t.same(emitted, []);
});

t.test('survives an OrderPlaced with no data at all', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderPlaced', data: undefined as never, ts: 1000 });
  t.equal(actor.getSnapshot().value, 'cancelled');
  t.equal(actor.getSnapshot().context.reason, 'invalid order: order data is missing');
  t.same(emitted, []);
});

t.test('ignores events that do not fit its state', async (t) => {
  const { actor, emitted } = startOrder();
  actor.send({ type: 'OrderShipped', data: { orderId: 'o-1' }, ts: 900 });
  t.equal(actor.getSnapshot().value, 'idle', 'nothing happens before the order is placed');

  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'OrderPlaced', data: { ...placed, qty: 9 }, ts: 1050 });
  actor.send({ type: 'InventoryReleased', data: { orderId: 'o-1' }, ts: 1100 });
  t.equal(actor.getSnapshot().value, 'pending');
  t.equal(actor.getSnapshot().context.qty, 2, 'a second OrderPlaced changes nothing');
  t.equal(emitted.length, 1, 'and is not announced again');
});

t.test('resumes from a persisted snapshot that went through JSON', async (t) => {
  const { actor } = startOrder();
  actor.send({ type: 'OrderPlaced', data: placed, ts: 1000 });
  actor.send({ type: 'PaymentDeclined', data: { orderId: 'o-1', reason: 'declined' }, ts: 1200 });
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));

  const restored = createActor(orderMachine, { input: { key: 'o-1' }, snapshot: persisted }).start();
  restored.send({ type: 'InventoryReleased', data: { orderId: 'o-1' }, ts: 1300 });
  t.equal(restored.getSnapshot().value, 'cancelled');
  t.equal(restored.getSnapshot().context.reason, 'declined');
});
