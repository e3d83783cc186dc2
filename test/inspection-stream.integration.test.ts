/**
 * The Stately inspection stream of a real three-node orders cluster, read the way a user
 * reads it: with `@statelyai/inspect`'s own WebSocket receiver, on a node's `/inspect` and
 * through `@statelyai/inspect/server`'s inspector server that `--inspect` pushes to.
 */
import t from 'tap';
import { makeOrder } from './helpers/order-traffic.js';
import { orderActors, orderDone } from './helpers/order-workflow.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { crashed, dumpOnFailure } from './helpers/node-process.js';
import { actorsNamed, freePort, receive, startStatelyServer, statesOf, waitForActorIn } from './helpers/stately-inspector.js';
import { waitFor } from './helpers/wait-for.js';

t.test("a viewer of n1's /inspect sees an order actor appear with its definition and move to completed", async (t) => {
  const { n1, n2, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  const viewer = receive(`${n1.wsUrl}/inspect`);
  await n1.waitForRecord((r) => r.msg === 'inspection viewer connected', 'the viewer connected');

  // Placed on n2: the order actor lives on n1, the event reaches it over the fabric.
  const order = makeOrder('insp', 0);
  await n2.admin.publish('OrderPlaced', order, order.orderId);
  const name = `order:${order.orderId}`;
  const sessionId = await waitForActorIn(viewer, name, 'completed', 'the order on n1');
  const [announced] = actorsNamed(viewer, name);
  t.match(announced.sessionId, /^n1\/x:\d+$/, 'ids carry the node id');
  t.equal(announced.rootId, sessionId);
  const definition = JSON.parse(announced.definition!);
  t.equal(definition.id, 'order');
  t.same(Object.keys(definition.states).sort(), ['cancelled', 'compensating', 'completed', 'idle', 'pending']);
  t.same(statesOf(viewer, sessionId), ['idle', 'pending', 'completed'], 'one snapshot per transition');
  const arrived = viewer.events.filter((e) => e.type === '@xstate.event' && e.sessionId === sessionId).map((e) => (e as { event: { type: string } }).event.type);
  t.same(arrived, ['xstate.init', 'OrderPlaced', 'OrderShipped']);

  // A viewer that comes later gets the order as it is now, first.
  const late = receive(`${n1.wsUrl}/inspect`);
  await waitForActorIn(late, name, 'completed', 'the order, for a late viewer');
  t.match(late.events[0], { type: '@xstate.actor', sessionId, snapshot: { value: 'completed', status: 'done' } });
});

t.test('--inspect pushes every node to a Stately inspector server, which may come up late', async (t) => {
  const port = await freePort();
  // No server on the port yet: the nodes keep trying, with backoff.
  const { n1, nodes } = await startOrdersCluster(t, { inspect: `ws://127.0.0.1:${port}` });
  dumpOnFailure(t, () => nodes);
  const order = makeOrder('push', 0);
  await n1.admin.publish('OrderPlaced', order, order.orderId);
  await waitFor(() => n1.admin.actors(), {
    failFast: crashed(nodes),
    until: (actors) => orderDone(orderActors(actors).get(order.orderId)),
    message: 'the order to complete',
  });

  await startStatelyServer(t, port);
  const viewer = receive(`ws://127.0.0.1:${port}`);
  const orderId = await waitForActorIn(viewer, `order:${order.orderId}`, 'completed', 'the order, from n1');
  const paymentId = await waitForActorIn(viewer, `payment:${order.orderId}`, 'captured', 'the payment, from n2');
  const shippingId = await waitForActorIn(viewer, `shipping:${order.orderId}`, 'shipped', 'the shipping, from n3');
  t.match(orderId, /^n1\//);
  t.match(paymentId, /^n2\//);
  t.match(shippingId, /^n3\//);
  t.ok(actorsNamed(viewer, 'inventory').some((a) => a.sessionId.startsWith('n2/')), 'and the inventory singleton');
  const sessions = viewer.events.filter((e) => e.type === '@xstate.actor').map((e) => e.sessionId);
  t.equal(new Set(sessions).size, sessions.length, 'every actor of the cluster has its own id');
});
