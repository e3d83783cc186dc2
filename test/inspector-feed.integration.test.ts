/**
 * The inspector's node side on real node processes: the `/feed` WebSocket of the orders
 * cluster as an order goes through it, `/app` and `/trace` with transitions, and the
 * page's files.
 */
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import type { ActorDetail, AppInfo, FeedEvent } from '../inspector/feed.js';
import { FeedClient, upgradeStatus } from './helpers/feed-client.js';
import { dumpOnFailure } from './helpers/node-process.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { waitFor } from './helpers/wait-for.js';

/** Every event each viewer received so far, in order. */
const received = new WeakMap<FeedClient, FeedEvent[]>();

/** The first event of type `type` that `client` received, waiting for it if need be. */
async function eventOfType(client: FeedClient, type: string): Promise<FeedEvent> {
  const seen = received.get(client) ?? [];
  received.set(client, seen);
  const found = await waitFor(
    async () => {
      for (let i = client.inbox.length - 1; i >= 0; i--) {
        const m = client.inbox[i];
        if (m.kind === 'events') {
          client.inbox.splice(i, 1);
          seen.push(...m.events);
        }
      }
      seen.sort((a, b) => a.pos - b.pos);
      return seen.find((e) => e.type === type);
    },
    { message: () => `a ${type} event on the feed (saw ${seen.map((e) => e.type).join(', ') || 'none'})`, interval: 20 },
  );
  return found as FeedEvent;
}

/** The first actor of `service` with `key` in the next `actors` messages of `client`. */
async function actorOf(client: FeedClient, service: string, key: string): Promise<ActorDetail> {
  const found = await waitFor(async () => (await client.next('actors')).actors.find((a) => a.service === service && a.key === key), {
    message: `${service}/${key} in an actors message`,
  });
  return found as ActorDetail;
}

t.test('the feed shows an order as it goes through the cluster, with what each event made the actors do', async (t) => {
  const { n1, n2, n3, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  const [v1, v2, v3] = await Promise.all([FeedClient.connect(n1.url), FeedClient.connect(n2.url, 'http://127.0.0.1:9999'), FeedClient.connect(n3.url)]);
  t.teardown(() => [v1, v2, v3].forEach((v) => v.close()));
  const hello = await v1.next('hello');
  t.equal(hello.status.id, 'n1');
  t.same(hello.status.services, ['order']);
  t.notOk(hello.status.chaos, 'a node started without --chaos says it takes no cut/heal');
  t.same(hello.status.peers.map((p) => p.id).sort(), ['n2', 'n3']);
  await v2.next('hello');
  await v3.next('hello');

  const order = { orderId: 'o-feed', sku: 'widget', qty: 1, amount: 20, shipDelayMs: 60_000 };
  await n1.admin.publish('OrderPlaced', order, 'wf-feed');

  const placed = await eventOfType(v1, 'OrderPlaced');
  t.same(placed.transitions, [{ service: 'order', key: 'o-feed', from: 'idle', to: 'pending' }]);
  t.equal(placed.correlationId, 'wf-feed');
  const created = await eventOfType(v2, 'OrderCreated');
  t.same(created.transitions, [{ service: 'inventory', key: null, from: 'tracking', to: 'tracking' }], 'n2 shows what OrderCreated made inventory do');
  t.same(nodeOf(created.origin), 'n1');
  const reserved = await eventOfType(v2, 'InventoryReserved');
  t.same(reserved.transitions, [{ service: 'payment', key: 'o-feed', from: 'awaiting', to: 'captured' }]);
  t.equal(reserved.causationId, created.id);

  const shipping = await actorOf(v3, 'shipping', 'o-feed');
  t.equal(shipping.state, 'preparing');
  t.same(shipping.accepts, [], 'preparing waits only for its timer');
  t.equal(shipping.timers.length, 1);
  t.equal(shipping.timers[0].event, 'after shipDelay');
  t.ok(shipping.timers[0].due > Date.now() + 30_000, 'the timer fires about a minute from now');

  const order1 = await actorOf(v1, 'order', 'o-feed');
  t.equal(order1.state, 'pending');
  t.same(order1.accepts, ['InventoryRejected', 'OrderShipped', 'PaymentDeclined'], 'what would move the order');

  const trace = (await n1.admin.request('GET', '/trace/wf-feed')).body as { events: { type: string; transitions: unknown[] }[] };
  t.same(trace.events.find((e) => e.type === 'OrderPlaced')?.transitions, [{ service: 'order', key: 'o-feed', from: 'idle', to: 'pending' }], '/trace shows transitions too');

  const again = await FeedClient.connect(n1.url);
  t.teardown(() => again.close());
  const later = await again.next('hello');
  t.same(later.events.find((e) => e.type === 'OrderPlaced')?.transitions, placed.transitions, 'a later hello carries the same transitions');
});

t.test('a node refuses a foreign page on its feed and answers bad requests with an error', async (t) => {
  const { n1, nodes } = await startOrdersCluster(t);
  dumpOnFailure(t, () => nodes);
  t.equal(await upgradeStatus(n1.url, 'https://attacker.example'), 403);
  const viewer = await FeedClient.connect(n1.url);
  t.teardown(() => viewer.close());
  await viewer.next('hello');
  t.match(await viewer.ask('nonsense'), { kind: 'reply', ref: 0, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await viewer.ask({ op: 'cut', ref: 3, peer: 'n2' }), { ref: 3, ok: false, error: { code: 'TROUPE_CHAOS_DISABLED' } });
  t.ok((await n1.admin.status()).peers.every((p) => p.connected), 'nothing was cut');

  const app = (await n1.admin.request('GET', '/app')).body as AppInfo;
  t.equal(app.name, 'orders');
  t.same(app.services.map((s) => [s.name, s.nodes]), [['order', ['n1']], ['inventory', ['n2']], ['payment', ['n2']], ['shipping', ['n3']]], 'n1 knows the whole app');
  t.same(app.eventTypes.find((e) => e.type === 'OrderCreated'), { type: 'OrderCreated', emittedBy: ['order'], consumedBy: ['inventory'], flags: [] });
  t.ok(app.services.every((s) => s.chart.states.length > 1), 'every service has its chart');

  const script = await fetch(`${n1.url}/inspector/feed.js`);
  t.equal(script.status, 200, 'a compiled script of the page is served');
  t.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.equal(script.headers.get('cache-control'), 'no-cache');
  t.match(script.headers.get('content-security-policy'), /default-src 'self'.*connect-src 'self' ws:\/\/127\.0\.0\.1:\*/);
  await script.text();
  for (const path of ['/inspector/..%2fpackage.json', '/inspector/%2e%2e%2fpackage.json', '/inspector/../package.json', '/inspector/nothing.js', '/inspector/feed.ts']) {
    const answer = await n1.admin.request('GET', path);
    t.equal(answer.status, 404, `${path} is not served`);
    t.match(answer.body, { error: { code: 'TROUPE_NOT_FOUND' } });
  }
});
