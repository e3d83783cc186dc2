import t from 'tap';
import { createActor, SimulatedClock } from 'xstate';
import { defaultShipDelayMs, shippingMachine, type ShippingEmitted } from '../../machines/shipping.js';

/** A started shipping actor keyed `o-1` on a simulated clock, with what it emits collected. */
function startShipping() {
  const clock = new SimulatedClock();
  const actor = createActor(shippingMachine, { input: { key: 'o-1' }, clock });
  const emitted: ShippingEmitted[] = [];
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  return { actor, emitted, clock };
}

t.test('prepares a captured order and ships it once its delay has passed', async (t) => {
  const { actor, emitted, clock } = startShipping();
  actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', amount: 40, shipDelayMs: 4000 }, ts: 5000 });
  t.equal(actor.getSnapshot().value, 'preparing');
  t.match(actor.getSnapshot().context, { orderId: 'o-1', shipDelayMs: 4000, capturedAt: 5000, shipAt: 9000 });

  clock.increment(3999);
  t.equal(actor.getSnapshot().value, 'preparing', 'not before the delay');
  t.same(emitted, []);

  clock.increment(1);
  t.equal(actor.getSnapshot().value, 'shipped');
  t.equal(actor.getSnapshot().status, 'done');
  t.same(emitted, [{ type: 'OrderShipped', data: { orderId: 'o-1' } }]);
});

t.test('uses the default delay when the order asked for none', async (t) => {
  const { actor, emitted, clock } = startShipping();
  actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', amount: 40 }, ts: 5000 });
  t.equal(actor.getSnapshot().context.shipDelayMs, defaultShipDelayMs);
  clock.increment(defaultShipDelayMs - 1);
  t.equal(emitted.length, 0);
  clock.increment(1);
  t.equal(emitted.length, 1);
});

t.test('uses the default delay when the requested one is unusable', async (t) => {
  for (const shipDelayMs of [-1, 'slow', Number.POSITIVE_INFINITY, 2 ** 31]) {
    const { actor } = startShipping();
    actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs } as never, ts: 5000 });
    t.equal(actor.getSnapshot().context.shipDelayMs, defaultShipDelayMs, `shipDelayMs ${String(shipDelayMs)}`);
  }
});

t.test('survives a PaymentCaptured with no data', async (t) => {
  const { actor, emitted, clock } = startShipping();
  actor.send({ type: 'PaymentCaptured', data: undefined as never, ts: 5000 });
  clock.increment(defaultShipDelayMs);
  t.same(emitted, [{ type: 'OrderShipped', data: { orderId: 'o-1' } }], 'ships under its key');
});

t.test('ships once: a repeated PaymentCaptured does not restart the wait', async (t) => {
  const { actor, emitted, clock } = startShipping();
  actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs: 100 }, ts: 5000 });
  clock.increment(60);
  actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs: 100 }, ts: 5060 });
  clock.increment(40);
  t.equal(actor.getSnapshot().value, 'shipped');
  actor.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs: 100 }, ts: 5200 });
  clock.increment(1000);
  t.equal(emitted.length, 1);
});

t.test('names its delayed event after the delay, so a host can re-arm it', async (t) => {
  // The host persists pending delayed events and re-sends them after a restart; the event
  // it re-sends is the one XState scheduled, named after the machine, state and delay.
  const clock = new SimulatedClock();
  const first = createActor(shippingMachine, { input: { key: 'o-1' }, clock }).start();
  first.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs: 4000 }, ts: 5000 });
  const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
  first.stop();

  const restored = createActor(shippingMachine, { input: { key: 'o-1' }, snapshot: persisted });
  const emitted: ShippingEmitted[] = [];
  restored.on('*', (event) => emitted.push(event));
  restored.start();
  t.equal(restored.getSnapshot().value, 'preparing');
  restored.send({ type: 'xstate.after.shipDelay.shipping.preparing' } as never);
  t.equal(restored.getSnapshot().value, 'shipped');
  t.same(emitted, [{ type: 'OrderShipped', data: { orderId: 'o-1' } }]);
  restored.stop();
});
