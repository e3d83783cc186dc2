/**
 * A rolling upgrade with real processes: nodes a and b run the shop app at version 1,
 * node c already runs version 2 (`test/fixtures/apps/shop-v*.ts`), where `OrderPlaced`
 * changed shape. Events flow both ways: c's packer upcasts what a publishes at version 1,
 * and what it emits reaches a's notifier; b's version-1 ledger dead-letters the version-2
 * event rather than misreading it. Then b moves to version 2: its persisted ledger actor
 * is migrated, and the dead letter replays.
 */
import t from 'tap';
import type { ActorInfo } from './helpers/admin-client.js';
import { waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'rolling-secret';
const V1 = 'test/fixtures/apps/shop-v1.ts';
const V2 = 'test/fixtures/apps/shop-v2.ts';

/** Waits until `node` hosts the actor of `service` for `key` in `state`, and returns it. */
async function actorIn(nodes: readonly NodeProcess[], node: NodeProcess, service: string, key: string, state: string): Promise<ActorInfo> {
  const actors = await waitFor(() => node.admin.actors(), {
    failFast: crashed(nodes),
    until: (list) => list.some((a) => a.service === service && a.key === key && a.state === state),
    message: () => `${node.id}'s ${service} actor ${key} to reach ${state}\n${node.tail()}`,
  });
  return actors.find((a) => a.service === service && a.key === key)!;
}

t.test('nodes on v1 and v2 of an app at once: v1 events are upcast, v2 events dead-letter on v1 until it upgrades', async (t) => {
  const a = await startNode(t, { id: 'a', app: V1, secret: SECRET });
  const b = await startNode(t, { id: 'b', app: V1, secret: SECRET, peers: [a.wsUrl] });
  const c = await startNode(t, { id: 'c', app: V2, secret: SECRET, peers: [a.wsUrl, b.wsUrl] });
  const nodes = [a, b, c];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['a', 'b'], ['a', 'c'], ['b', 'c']]);

  // v1 → v2: a (old code) publishes the old shape; c's packer gets it upcast.
  await a.admin.publish('OrderPlaced', { orderId: 'o-1', sku: 'cup' });
  const packed1 = await actorIn(nodes, c, 'packer', 'o-1', 'packed');
  t.same(packed1.context, { lines: [{ sku: 'cup', qty: 1 }] }, 'the v2 packer received the v1 event in the v2 shape');
  t.same((await actorIn(nodes, b, 'ledger', 'o-1', 'booked')).context, { sku: 'cup' }, 'the v1 ledger read it as it always did');
  t.same((await actorIn(nodes, a, 'notifier', 'o-1', 'notified')).context, { lines: 1 }, "c's OrderPacked reached the v1 notifier");

  // v2 → v1: c publishes the new shape at version 2.
  const v2 = await c.admin.request('POST', '/events', { json: { type: 'OrderPlaced', version: 2, data: { orderId: 'o-2', lines: [{ sku: 'mug', qty: 2 }, { sku: 'pen', qty: 1 }] } } });
  t.equal(v2.status, 201);
  t.same((await actorIn(nodes, c, 'packer', 'o-2', 'packed')).context, { lines: [{ sku: 'mug', qty: 2 }, { sku: 'pen', qty: 1 }] });
  t.same((await actorIn(nodes, a, 'notifier', 'o-2', 'notified')).context, { lines: 2 });
  const letters = await waitFor(async () => (await b.admin.request('GET', '/dlq')).body as { service: string; eventId: string; error: { code: string } }[], {
    failFast: crashed(nodes),
    until: (list) => list.length > 0,
    message: () => `a dead letter on b for the v2 event\n${b.tail()}`,
  });
  t.match(letters, [{ service: 'ledger', eventId: (v2.body as { id: string }).id, error: { code: 'TROUPE_EVENT_VERSION_UNKNOWN' } }]);
  t.notOk((await b.admin.actors()).some((x) => x.key === 'o-2'), 'the v1 ledger did not misread the v2 event');
  t.ok(b.running, 'b is still up');

  // b moves to v2 on the same data: its v1 ledger actor is migrated, and the letter replays.
  await b.stop();
  const b2 = await startNode(t, { id: 'b', app: V2, secret: SECRET, data: b.data, port: b.port, peers: [a.wsUrl, c.wsUrl] });
  nodes.push(b2);
  t.same((await actorIn(nodes, b2, 'ledger', 'o-1', 'recorded')).context, { lines: [{ sku: 'cup', qty: 1 }] }, 'the persisted v1 actor was migrated');
  const replay = await b2.admin.request('POST', `/dlq/ledger/${encodeURIComponent(letters[0].eventId)}/replay`);
  t.equal(replay.status, 200, JSON.stringify(replay.body));
  t.same((await actorIn(nodes, b2, 'ledger', 'o-2', 'recorded')).context, { lines: [{ sku: 'mug', qty: 2 }, { sku: 'pen', qty: 1 }] });
  t.same((await b2.admin.request('GET', '/dlq')).body, []);
});
