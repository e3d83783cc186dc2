/**
 * Pins what `troupe/testing`'s simulated cluster gives a test: `after` delays that fire
 * only as simulated time moves, crashes that keep exactly what was on disk, clean
 * restarts, partitions that `converged()` sees, the same run for the same seed, and a
 * clear failure for services that never come to rest. A small app runs on it: `bell`
 * actors on node a ring a second after `Ring`, and a `tally` on node b lists what rang.
 */
import t from 'tap';
import { emit, setup } from 'xstate';
import orders from '../examples/orders/index.js';
import { defineApp } from '../runtime/service.js';
import { simulateCluster, type Delivery } from '../testing/index.js';
import { bells, rung } from './helpers/bells-app.js';
import { nodeClock } from './helpers/node-clock.js';

t.test('an after delay fires only when simulated time reaches it, and what it emits carries that time', async (t) => {
  const sim = await simulateCluster({ app: bells });
  t.teardown(() => sim.stop());
  const start = sim.now();
  const ring = await sim.publish('a', { type: 'Ring', data: { id: 'x' } });
  t.equal(ring.ts, start, 'events are stamped with simulated time');
  await sim.settle();
  await sim.advance(999);
  t.equal(sim.actor('a', 'bell', 'x')?.state, 'ringing', 'not a millisecond early');
  await sim.advance(1);
  t.equal(sim.actor('a', 'bell', 'x')?.state, 'rung');
  await sim.settle();
  t.same(rung(sim), ['x']);
  const rang = (await sim.log('b')).find((e) => e.type === 'Rang');
  t.equal(rang?.ts, start + 1000);
  t.equal(rang?.correlationId, ring.correlationId, 'what a timer emits stays in the workflow');
});

t.test('a crash keeps what was on disk: the restored node has its actors and their pending timers back', async (t) => {
  const sim = await simulateCluster({ app: bells });
  t.teardown(() => sim.stop());
  await sim.publish('a', { type: 'Ring', data: { id: 'x' } });
  await sim.settle();
  await sim.crash('a');
  await t.rejects(sim.publish('a', { type: 'Ring', data: { id: 'y' } }), { code: 'TROUPE_NODE_UNREACHABLE' });
  await t.rejects(sim.actors('a'), { code: 'TROUPE_NODE_UNREACHABLE' });
  await sim.advance(5_000);
  t.same(rung(sim), [], 'a dead node\'s timers do not fire');

  await sim.restore('a');
  t.equal(sim.actor('a', 'bell', 'x')?.state, 'ringing', 'the actor is back from disk');
  await sim.settle();
  await sim.advance(0);
  await sim.settle();
  t.same(rung(sim), ['x'], 'its overdue timer fired once, on restore');
  t.ok(sim.converged());
});

t.test('a clean restart keeps the node\'s clock and actors', async (t) => {
  const sim = await simulateCluster({ app: bells });
  t.teardown(() => sim.stop());
  await sim.publish('a', { type: 'Ring', data: { id: 'x' } });
  await sim.settle();
  await sim.advance(1000);
  await sim.settle();
  const before = sim.clock('b');
  await sim.restart('b');
  t.same(sim.clock('b'), before);
  t.same(rung(sim), ['x']);
  await sim.settle();
  t.ok(sim.converged());
});

t.test('converged() is false while a cut keeps a node behind, and true once healed', async (t) => {
  const sim = await simulateCluster({ app: bells });
  t.teardown(() => sim.stop());
  t.ok(sim.converged(), 'a fresh cluster has converged');
  sim.cut('a', 'b');
  t.notOk(sim.linked('a', 'b'));
  await sim.publish('a', { type: 'Ring', data: { id: 'x' } });
  await sim.settle();
  t.notOk(sim.converged());
  sim.heal('a');
  await sim.settle();
  t.ok(sim.converged());
  t.same(nodeClock(sim.clock('b')), { a: 1 });
});

t.test('a given data directory outlives the simulation, and the next one resumes from it', async (t) => {
  const dataDir = t.testdir();
  const first = await simulateCluster({ app: bells, dataDir });
  await first.publish('a', { type: 'Ring', data: { id: 'x' } });
  await first.settle();
  await first.stop();
  const second = await simulateCluster({ app: bells, dataDir });
  t.teardown(() => second.stop());
  // a's one new event retires its earlier start (`protocol/retirement.ts`).
  t.same(nodeClock(second.clock('b')), { a: 2 });
  t.equal(second.actor('a', 'bell', 'x')?.state, 'ringing');
});

/** The orders app under jitter with three orders: every delivery, then every node's log, as text. */
async function ordersRun(seed: number): Promise<{ deliveries: string[]; logs: string[] }> {
  const sim = await simulateCluster({ app: orders, seed, jitterMs: 5 });
  try {
    const deliveries: Delivery[] = [];
    for (const [i, amount] of [20, 5000, 30].entries()) {
      await sim.publish('n1', { type: 'OrderPlaced', data: { orderId: `o-${i}`, sku: 'widget', qty: 1, amount } });
      deliveries.push(...(await sim.deliver(3)));
    }
    deliveries.push(...(await sim.deliver(Infinity)));
    await sim.advance(500);
    const logs: string[] = [];
    for (const node of ['n1', 'n2', 'n3']) logs.push((await sim.log(node)).map((e) => `${e.id}:${e.type}@${e.ts}`).join(' '));
    return { deliveries: deliveries.map((d) => `${d.from}>${d.to} ${d.frame.type} @${d.at}`), logs };
  } finally {
    await sim.stop();
  }
}

t.test('the same seed replays the same run, frame for frame and event for event', async (t) => {
  const first = await ordersRun(11);
  const again = await ordersRun(11);
  t.ok(first.deliveries.length > 10);
  t.same(again.deliveries, first.deliveries);
  t.same(again.logs, first.logs);
  const other = await ordersRun(12);
  t.not(other.deliveries.join('\n'), first.deliveries.join('\n'), 'another seed interleaves the links otherwise');
});

t.test('settle gives up with TROUPE_SIMULATION_UNSETTLED when services never come to rest', async (t) => {
  const echo = (id: string, hears: 'Ping' | 'Pong', says: 'Ping' | 'Pong') =>
    setup({ types: { events: {} as { type: typeof hears } } }).createMachine({ id, on: { [hears]: { actions: emit({ type: says }) } } });
  const tennis = defineApp({
    name: 'tennis',
    services: [
      { name: 'left', machine: echo('left', 'Ping', 'Pong'), on: ['Ping'] },
      { name: 'right', machine: echo('right', 'Pong', 'Ping'), on: ['Pong'] },
    ],
    placement: { a: ['left'], b: ['right'] },
  });
  const sim = await simulateCluster({ app: tennis, maxSteps: 200 });
  t.teardown(() => sim.stop());
  await sim.publish('a', { type: 'Ping' });
  await t.rejects(sim.settle(), { code: 'TROUPE_SIMULATION_UNSETTLED' });
});

t.test('unknown nodes, a link to oneself and a placement of missing services are refused', async (t) => {
  await t.rejects(simulateCluster({ app: { ...bells, placement: { a: ['bell', 'gong'] } } }), { code: 'TROUPE_BAD_APP' });
  await t.rejects(simulateCluster({ app: bells, nodes: ['a', 'a'] }), { code: 'TROUPE_BAD_REQUEST' });
  const sim = await simulateCluster({ app: bells });
  t.teardown(() => sim.stop());
  t.throws(() => sim.cut('a', 'z'), { code: 'TROUPE_NOT_FOUND' });
  t.throws(() => sim.cut('a', 'a'), { code: 'TROUPE_BAD_REQUEST' });
  await t.rejects(sim.publish('z', { type: 'Ring' }), { code: 'TROUPE_NOT_FOUND' });
  await t.rejects(sim.publish('a', { type: '' }), { code: 'TROUPE_BAD_REQUEST' }, 'a bad event is refused as by the admin API');
});
