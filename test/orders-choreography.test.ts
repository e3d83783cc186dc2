/**
 * The orders example's choreography under partitions and crashes, on a simulated cluster
 * (`troupe/testing`): n1 hosts order, n2 inventory and payment, n3 shipping, as the app
 * places them. Each node is the real kernel on its own LevelDB; the network and the clock
 * are the test's, so every run is the same for its seed and takes no real time.
 */
import t from 'tap';
import fc from 'fast-check';
import orders from '../examples/orders/index.js';
import type { InventoryContext } from '../machines/inventory.js';
import type { OrderContext } from '../machines/order.js';
import type { OrderLine } from '../machines/order-line.js';
import type { ShippingContext } from '../machines/shipping.js';
import { simulateCluster, type SimulatedCluster } from '../testing/index.js';
import { nodeClock } from './helpers/node-clock.js';
import { workflowProblems } from './helpers/order-workflow.js';

/** Places an order at n1, with its order id as correlation id (as `workflowProblems` expects). */
function placeOrder(sim: SimulatedCluster, line: OrderLine) {
  return sim.publish('n1', { type: 'OrderPlaced', data: line, correlationId: line.orderId });
}

/** How many events of `type` node `node` committed. */
async function countOf(sim: SimulatedCluster, node: string, type: string): Promise<number> {
  return (await sim.log(node)).filter((e) => e.type === type).length;
}

/** The inventory's context on n2. */
function inventory(sim: SimulatedCluster): InventoryContext {
  const actor = sim.actor<InventoryContext>('n2', 'inventory');
  if (actor === undefined) throw new Error('n2 has no inventory actor');
  return actor.context;
}

/** Every workflow problem of a converged cluster, judged from each node's log against n1's order actors. */
async function problems(sim: SimulatedCluster): Promise<string[]> {
  const out: string[] = [];
  for (const node of ['n1', 'n2', 'n3']) {
    for (const problem of workflowProblems(await sim.log(node), await sim.actors('n1'))) out.push(`${node}: ${problem}`);
  }
  return out;
}

t.test('payment declined while the shipping node is partitioned still ends with the order cancelled and stock released', async (t) => {
  const sim = await simulateCluster({ app: orders, seed: 1 });
  t.teardown(() => sim.stop());
  sim.cut('n3');
  await placeOrder(sim, { orderId: 'o-1', sku: 'widget', qty: 3, amount: 5000 });
  await sim.settle();

  const order = sim.actor<OrderContext>('n1', 'order', 'o-1');
  t.equal(order?.state, 'cancelled', 'the order is cancelled');
  t.equal(order?.context.reason, 'amount 5000 exceeds the limit of 1000');
  t.equal(sim.actor('n2', 'payment', 'o-1')?.state, 'declined');
  t.equal(inventory(sim).stock.widget, 10, 'the three widgets are back in stock');
  t.equal(inventory(sim).reservations['o-1'].status, 'released');
  t.same(nodeClock(sim.clock('n3')), {}, 'the shipping node heard nothing of it');

  sim.heal('n3');
  await sim.settle();
  t.ok(sim.converged(), 'once healed, every node has every event');
  t.same(await sim.actors('n3'), [], 'nothing was ever shipped');
  t.same(await problems(sim), [], 'the workflow ran exactly once, on every node\'s log');
});

t.test('a captured order waits in the outbox of a cut link and completes after the heal', async (t) => {
  const sim = await simulateCluster({ app: orders, seed: 2 });
  t.teardown(() => sim.stop());
  sim.cut('n3');
  const placed = await placeOrder(sim, { orderId: 'o-2', sku: 'gadget', qty: 1, amount: 20 });
  await sim.settle();
  await sim.advance(5_000);
  t.equal(sim.actor('n2', 'payment', 'o-2')?.state, 'captured');
  t.equal(sim.actor('n1', 'order', 'o-2')?.state, 'pending', 'nobody can ship it');

  const trace = await sim.trace('n2', placed.correlationId);
  const captured = trace.events.find((e) => e.type === 'PaymentCaptured');
  const toShipping = trace.outboxes.find((o) => o.peer === 'n3');
  t.ok(captured !== undefined && toShipping?.pending.includes(captured.id), 'PaymentCaptured waits in n2\'s outbox to n3');
  t.equal(toShipping?.connected, false);

  sim.heal('n3');
  await sim.settle();
  t.equal(sim.actor('n3', 'shipping', 'o-2')?.state, 'preparing', 'shipping starts once the link is back');
  await sim.advance(200);
  await sim.settle();
  t.equal(sim.actor('n1', 'order', 'o-2')?.state, 'completed');
  t.ok(sim.converged());
  t.same(await problems(sim), []);
});

t.test('a crash of the node hosting payment right after it captured, and a restore, loses nothing and does nothing twice', async (t) => {
  const sim = await simulateCluster({ app: orders, seed: 3 });
  t.teardown(() => sim.stop());
  await placeOrder(sim, { orderId: 'o-3', sku: 'widget', qty: 2, amount: 20 });
  t.ok(await sim.settleUntil(() => sim.actor('n2', 'payment', 'o-3')?.state === 'captured'), 'payment captured');
  t.notOk((await sim.log('n3')).some((e) => e.type === 'PaymentCaptured'), 'shipping has not heard of it yet');

  await sim.crash('n2');
  t.notOk(sim.linked('n1', 'n2') || sim.linked('n2', 'n3'), 'n2 is gone, and what it had sent with it');
  await sim.advance(10_000);
  t.equal(sim.actor('n1', 'order', 'o-3')?.state, 'pending', 'the workflow waits for n2');

  await sim.restore('n2');
  t.equal(sim.actor('n2', 'payment', 'o-3')?.state, 'captured', 'payment is restored from disk as it was');
  t.equal(inventory(sim).stock.widget, 8);
  await sim.settle();
  await sim.advance(200);
  await sim.settle();

  t.equal(sim.actor('n1', 'order', 'o-3')?.state, 'completed');
  t.equal(inventory(sim).stock.widget, 8, 'the stock was reserved once');
  t.ok(sim.converged());
  for (const node of ['n1', 'n2', 'n3']) {
    t.equal(await countOf(sim, node, 'PaymentCaptured'), 1, `${node} has one PaymentCaptured`);
    t.equal(await countOf(sim, node, 'OrderShipped'), 1, `${node} has one OrderShipped`);
  }
  // n2's one new event retires its earlier start (`protocol/retirement.ts`).
  t.same(nodeClock(sim.clock('n1')), { n1: 2, n2: 3, n3: 1 }, 'n2 stamped nothing more after its restart but its retirement');
  t.same(await problems(sim), []);
});

t.test('the shipping node crashed while preparing ships once restored, when the parcel was due', async (t) => {
  const sim = await simulateCluster({ app: orders, seed: 4 });
  t.teardown(() => sim.stop());
  await placeOrder(sim, { orderId: 'o-4', sku: 'widget', qty: 1, amount: 20, shipDelayMs: 500 });
  t.ok(await sim.settleUntil(() => sim.actor('n3', 'shipping', 'o-4')?.state === 'preparing'));
  const shipAt = sim.actor<ShippingContext>('n3', 'shipping', 'o-4')?.context.shipAt ?? NaN;

  await sim.crash('n3');
  await sim.advance(100);
  await sim.restore('n3');
  await sim.settle();
  await sim.advance(shipAt - sim.now() - 1);
  t.equal(sim.actor('n3', 'shipping', 'o-4')?.state, 'preparing', 'not before it is due');
  await sim.advance(1);
  await sim.settle();
  t.equal(sim.actor('n3', 'shipping', 'o-4')?.state, 'shipped', 'the re-armed timer fired when it was due');
  const shipped = (await sim.log('n1')).find((e) => e.type === 'OrderShipped');
  t.equal(shipped?.ts, shipAt, 'OrderShipped carries the time the parcel was due');
  t.equal(sim.actor('n1', 'order', 'o-4')?.state, 'completed');
  t.same(await problems(sim), []);
});

t.test('whatever the seed and wherever a link is cut and healed, every order ends as its amount says, exactly once', async () => {
  const links = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']] as const;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.constantFrom(...links),
      fc.nat(20),
      fc.nat(20),
      fc.array(fc.constantFrom(20, 400, 5000), { minLength: 1, maxLength: 4 }),
      async (seed, [a, b], cutAfter, healAfter, amounts) => {
        const sim = await simulateCluster({ app: orders, seed, jitterMs: 3 });
        try {
          for (const [i, amount] of amounts.entries()) await placeOrder(sim, { orderId: `o-${i}`, sku: 'widget', qty: 1, amount });
          await sim.deliver(cutAfter);
          sim.cut(a, b);
          await sim.deliver(healAfter);
          await sim.advance(1_000);
          sim.heal(a, b);
          await sim.settle();
          await sim.advance(1_000);
          await sim.settle();
          const found = await problems(sim);
          const captured = amounts.filter((amount) => amount <= 1000).length;
          if (!sim.converged()) found.push('not converged');
          if (inventory(sim).stock.widget !== 10 - captured) found.push(`widget stock ${inventory(sim).stock.widget}, expected ${10 - captured}`);
          if (found.length > 0) throw new Error(`seed ${seed}: ${found.join('; ')}`);
        } finally {
          await sim.stop();
        }
      },
    ),
    { numRuns: 25 },
  );
});
