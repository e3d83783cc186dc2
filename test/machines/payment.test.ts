import t from 'tap';
import { createActor } from 'xstate';
import { paymentLimit, paymentMachine, type PaymentEmitted } from '../../machines/payment.js';

/** A started payment actor keyed `o-1`, with everything it emits collected. */
function startPayment() {
  const actor = createActor(paymentMachine, { input: { key: 'o-1' } });
  const emitted: PaymentEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return { actor, emitted };
}

/** An `InventoryReserved` event for order `o-1`. */
function reserved(amount: number, extra: { shipDelayMs?: number } = {}) {
  return { type: 'InventoryReserved' as const, data: { orderId: 'o-1', sku: 'widget', qty: 1, amount, ...extra }, ts: 2000 };
}

t.test('captures an amount within the limit', async (t) => {
  const { actor, emitted } = startPayment();
  actor.send(reserved(40));
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'captured');
  t.equal(snapshot.status, 'done');
  t.match(snapshot.context, { orderId: 'o-1', amount: 40, reason: null, decidedAt: 2000 });
  t.same(emitted, [{ type: 'PaymentCaptured', data: { orderId: 'o-1', amount: 40 } }]);
});

t.test('captures an amount exactly at the limit', async (t) => {
  const { actor } = startPayment();
  actor.send(reserved(paymentLimit));
  t.equal(paymentLimit, 1000);
  t.equal(actor.getSnapshot().value, 'captured');
});

t.test('carries shipDelayMs along in PaymentCaptured', async (t) => {
  const { actor, emitted } = startPayment();
  actor.send(reserved(40, { shipDelayMs: 4000 }));
  t.same(emitted, [{ type: 'PaymentCaptured', data: { orderId: 'o-1', amount: 40, shipDelayMs: 4000 } }]);
});

t.test('declines an amount above the limit, with a reason', async (t) => {
  const { actor, emitted } = startPayment();
  actor.send(reserved(1500));
  const snapshot = actor.getSnapshot();
  t.equal(snapshot.value, 'declined');
  t.equal(snapshot.status, 'done');
  t.same(emitted, [
    { type: 'PaymentDeclined', data: { orderId: 'o-1', amount: 1500, reason: 'amount 1500 exceeds the limit of 1000' } },
  ]);
  t.equal(snapshot.context.reason, 'amount 1500 exceeds the limit of 1000');
});

t.test('declines a missing or unusable amount instead of failing', async (t) => {
  for (const amount of [undefined, 'ten', -5, Number.NaN]) {
    const { actor, emitted } = startPayment();
    actor.send({ type: 'InventoryReserved', data: { orderId: 'o-1', amount } as never, ts: 2000 });
    t.equal(actor.getSnapshot().value, 'declined', `amount ${String(amount)}`);
    t.equal(emitted[0]?.type, 'PaymentDeclined');
    t.match(emitted[0]?.data, { orderId: 'o-1', reason: /invalid amount/ });
  }
});

t.test('decides once: a repeated InventoryReserved charges nothing more', async (t) => {
  const { actor, emitted } = startPayment();
  actor.send(reserved(40));
  actor.send(reserved(40));
  t.equal(emitted.length, 1);
});
