/**
 * A node never forks and never forgets, whatever happens to its disk: wiped, rewound to an
 * older copy of itself (also one taken while it recovered, so put back after its actors
 * went on), or copied to a second process. It restarts isolated for longer
 * than any startup wait, keeps taking publishes, and after the heal every acknowledged
 * event is on every node, no (origin, seq) names two different events anywhere, and its
 * actors are what they were before the loss.
 *
 * n1 (which hosts `order`) dials nobody; n2 and n3 dial it through proxies, so cutting
 * both proxies isolates n1 however often it restarts.
 */
import { cp, rm } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { nodeOf } from '../protocol/origin.js';
import type { ActorInfo, LogEntry } from './helpers/admin-client.js';
import { settledLogs, tails, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode, tempDataDir, type NodeProcess } from './helpers/node-process.js';
import { makeOrder, type OrderData } from './helpers/order-traffic.js';
import { orderActors, orderDone, stateName } from './helpers/order-workflow.js';
import { startProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'disk-loss-secret';
/** Longer than the 5 s startup probe nodes used to wait for a peer's clock before stamping. */
const ISOLATED_MS = 6000;

interface LossCluster {
  readonly n1: NodeProcess;
  readonly n2: NodeProcess;
  readonly n3: NodeProcess;
  readonly nodes: NodeProcess[];
  readonly toN1: readonly TcpProxy[];
  /** Acknowledged events: id → the node that acknowledged it. */
  readonly acked: Map<string, string>;
}

async function startLossCluster(t: Test): Promise<LossCluster> {
  const n1 = await startNode(t, { id: 'n1', secret: SECRET });
  const p2 = await startProxy(t, n1.port!, 'n2→n1');
  const p3 = await startProxy(t, n1.port!, 'n3→n1');
  const n2 = await startNode(t, { id: 'n2', secret: SECRET, peers: [p2.wsUrl] });
  const n3 = await startNode(t, { id: 'n3', secret: SECRET, peers: [p3.wsUrl, n2.wsUrl] });
  const nodes = [n1, n2, n3];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']]);
  return { n1, n2, n3, nodes, toN1: [p2, p3], acked: new Map() };
}

/** Places `order` on `node` and notes the acknowledged event. */
async function place(c: LossCluster, node: NodeProcess, order: OrderData): Promise<void> {
  const published = await node.admin.publish('OrderPlaced', order, order.orderId);
  c.acked.set(published.id, node.id);
}

/** Places orders on n1 while it is isolated, one every 250 ms, for longer than any startup wait. */
async function placeWhileIsolated(c: LossCluster, prefix: string): Promise<number> {
  const until = Date.now() + ISOLATED_MS;
  let n = 0;
  await waitFor(async () => {
    await place(c, c.n1, makeOrder(prefix, n++));
    return Date.now();
  }, { until: (now) => now >= until, interval: 250, timeout: ISOLATED_MS + 30_000, failFast: crashed(c.nodes), message: 'n1 to take orders while isolated' });
  return n;
}

/** Waits until n1's order actors are all done, and n1 recovers nothing any more. */
async function ordersSettled(c: LossCluster, orders: number): Promise<Map<string, ActorInfo>> {
  const actors = await waitFor(async () => ({ status: await c.n1.admin.status() as { recovering?: boolean }, actors: orderActors(await c.n1.admin.actors()) }), {
    timeout: 90_000,
    interval: 250,
    failFast: crashed(c.nodes),
    until: (s) => s.status.recovering === false && s.actors.size >= orders && [...s.actors.values()].every(orderDone),
    message: () => `every order on n1 to end completed or cancelled\n${tails(c.nodes)}`,
    describe: (s) => `recovering=${s.status.recovering} ${[...s.actors.values()].filter((a) => !orderDone(a)).map((a) => `${String(a.key)}:${stateName(a.state)}`).join(' ')} of ${s.actors.size}`,
  });
  return actors.actors;
}

/** What an event is, beyond its id: two nodes holding one id must agree on all of it. */
function content(e: LogEntry): string {
  return JSON.stringify([e.type, e.data, e.correlationId, e.causationId, e.ts]);
}

/** Every acknowledged event on every node, and no id naming two different events anywhere or twice in one log. */
async function checkNoForkNoLoss(t: Test, c: LossCluster): Promise<void> {
  const logs = await settledLogs(c.nodes, 90_000);
  const seen = new Map<string, { node: string; content: string }>();
  const forks: string[] = [];
  for (const [node, { log }] of logs) {
    const ids = new Set<string>();
    for (const e of log) {
      if (ids.has(e.id)) forks.push(`${e.id} twice in ${node}'s log`);
      ids.add(e.id);
      const first = seen.get(e.id);
      if (first === undefined) seen.set(e.id, { node, content: content(e) });
      else if (first.content !== content(e)) forks.push(`${e.id} is ${first.content} on ${first.node} and ${content(e)} on ${node}`);
    }
    const missing = [...c.acked.keys()].filter((id) => !ids.has(id));
    t.same(missing, [], `every acknowledged event is in ${node}'s log`);
  }
  t.same(forks, [], 'no (origin, seq) names two different events');
}

/** Stops `node` and copies its data dir aside, as a disk image to put back later. */
async function imageOf(t: Test, node: NodeProcess, name: string): Promise<string> {
  await node.stop();
  const image = await tempDataDir(t, name);
  await cp(node.data, image, { recursive: true });
  return image;
}

/** Kills `node` and replaces its data dir with `image`, as a disk swapped under a crashed node. */
async function putBack(node: NodeProcess, image: string): Promise<void> {
  await node.kill9();
  await rm(node.data, { recursive: true, force: true });
  await cp(image, node.data, { recursive: true });
}

t.test('a node whose data dir was wiped, restarted isolated past any startup wait, takes orders and forks nothing', async (t) => {
  const c = await startLossCluster(t);
  for (let i = 0; i < 6; i++) await place(c, c.n2, makeOrder('before', i));
  await ordersSettled(c, 6);

  await c.n1.kill9();
  await rm(c.n1.data, { recursive: true, force: true });
  for (const p of c.toN1) p.cut();
  await c.n1.restart();
  const offline = await placeWhileIsolated(c, 'offline');
  const isolated = await c.n1.admin.status();
  t.ok(isolated.peers.every((p) => !p.connected), 'n1 stayed isolated while it took orders');

  for (const p of c.toN1) p.heal();
  const actors = await ordersSettled(c, 6 + offline);
  t.equal(actors.size, 6 + offline, 'n1 hosts every order again: those before the loss and those it took alone');
  await checkNoForkNoLoss(t, c);
  const status = await c.n1.admin.status() as { origin?: string };
  t.match(status.origin, /^n1~[A-Za-z0-9_-]{6}$/, 'n1 stamps under a fresh origin');
  t.ok(c.n1.records((r) => r.code === 'TROUPE_NODE_REBUILT').length >= 1, 'n1 logged that it rebuilt its actors');
});

t.test('a node whose data dir was rewound to an older copy of itself forks nothing', async (t) => {
  const c = await startLossCluster(t);
  for (let i = 0; i < 4; i++) await place(c, c.n1, makeOrder('old', i));
  await ordersSettled(c, 4);
  const image = await imageOf(t, c.n1, 'n1-image');
  await c.n1.restart();
  for (let i = 0; i < 4; i++) await place(c, c.n1, makeOrder('later', i));
  await ordersSettled(c, 8);

  await putBack(c.n1, image);
  for (const p of c.toN1) p.cut();
  await c.n1.restart();
  const offline = await placeWhileIsolated(c, 'offline');
  for (const p of c.toN1) p.heal();
  await ordersSettled(c, 8 + offline);
  await checkNoForkNoLoss(t, c);
});

/** What a node emitted twice for one event: two events of its origins with one cause and one type. */
function handledTwice(log: readonly LogEntry[], node: string): string[] {
  const first = new Map<string, string>();
  const twice: string[] = [];
  for (const e of log) {
    if (e.causationId === null || nodeOf(e.origin) !== node) continue;
    const effect = `${e.type} for ${e.causationId}`;
    const earlier = first.get(effect);
    if (earlier === undefined) first.set(effect, e.id);
    else twice.push(`${effect} (${earlier} and ${e.id})`);
  }
  return twice;
}

/** Waits until `node`'s log holds every event `from`'s log holds. */
async function holdsAllOf(c: LossCluster, node: NodeProcess, from: NodeProcess): Promise<void> {
  await waitFor(async () => {
    const have = new Set((await node.admin.log()).map((e) => e.id));
    return (await from.admin.log()).filter((e) => !have.has(e.id)).map((e) => e.id);
  }, { failFast: crashed(c.nodes), until: (missing) => missing.length === 0, message: `${node.id} to hold every event ${from.id} holds` });
}

t.test('a copy of a node\'s data dir taken while it recovered, put back after it rebuilt, emits nothing twice', async (t) => {
  const c = await startLossCluster(t);
  for (let i = 0; i < 3; i++) await place(c, c.n2, makeOrder('first', i));
  await ordersSettled(c, 3);
  const older = await imageOf(t, c.n1, 'n1-older');
  await c.n1.restart();
  for (let i = 0; i < 3; i++) await place(c, c.n2, makeOrder('second', i));
  await ordersSettled(c, 6);

  // Rewound, n1 hears n2's claim and fetches its history back, then holds its actors
  // waiting for n3 (cut off); orders placed meanwhile are committed but not handled.
  const [, toN1FromN3] = c.toN1 as [TcpProxy, TcpProxy];
  await putBack(c.n1, older);
  toN1FromN3.cut();
  await c.n1.restart();
  for (let i = 0; i < 3; i++) await place(c, c.n2, makeOrder('held', i));
  await holdsAllOf(c, c.n1, c.n2);
  t.equal((await c.n1.admin.status() as { recovering?: boolean }).recovering, true, 'n1 holds its actors');
  const whileHeld = await imageOf(t, c.n1, 'n1-held');

  // The next start rebuilds the actors and emits for the held orders; its emissions reach n2 and n3.
  await c.n1.restart();
  toN1FromN3.heal();
  await ordersSettled(c, 9);

  // The copy taken while n1 held is put back and started cut off: its log lacks what the rebuild emitted.
  await putBack(c.n1, whileHeld);
  for (const p of c.toN1) p.cut();
  const before = c.n1.lines.length;
  await c.n1.restart();
  const startLog = await waitFor(async () => c.n1.lines.slice(before).flatMap((l) => l.json?.code === 'TROUPE_NODE_REBUILT' || l.json?.code === 'TROUPE_NODE_RECOVERING' ? [l.json] : []), {
    failFast: crashed(c.nodes),
    until: (records) => records.length > 0,
    message: () => `n1 to rebuild its actors or say it waits for its peers\n${c.n1.tail()}`,
  });
  t.notOk(startLog.some((r) => r.code === 'TROUPE_NODE_REBUILT'), 'cut off, n1 does not rebuild before it heard its peers');

  for (const p of c.toN1) p.heal();
  await ordersSettled(c, 9);
  const logs = await settledLogs(c.nodes, 90_000);
  for (const [node, { log }] of logs) t.same(handledTwice(log, 'n1'), [], `n1 emitted nothing twice, as ${node}'s log shows`);
  await checkNoForkNoLoss(t, c);
});

t.test('a copy of a node\'s data dir run as a second process forks nothing, and is refused while both are linked', async (t) => {
  const c = await startLossCluster(t);
  for (let i = 0; i < 4; i++) await place(c, c.n1, makeOrder('first', i));
  await ordersSettled(c, 4);
  const copyDir = await imageOf(t, c.n1, 'n1-copy');
  for (const p of c.toN1) p.cut();
  await c.n1.restart();
  // The copy dials n2 directly, and n2 takes it: n1 is cut off from n2 at the proxies.
  const copy = await startNode(t, { id: 'n1', secret: SECRET, data: copyDir, peers: [c.n2.wsUrl] });
  c.nodes.push(copy);
  await place(c, c.n1, makeOrder('one', 0));
  await place(c, copy, makeOrder('two', 0));
  await place(c, c.n1, makeOrder('one', 1));
  await place(c, copy, makeOrder('two', 1));
  await waitFor(() => c.n2.admin.log(), {
    failFast: crashed(c.nodes),
    until: (log) => log.some((e) => e.data?.orderId === 'two-1'),
    message: 'the copy\'s orders to reach n2',
  });

  for (const p of c.toN1) p.heal();
  // Both processes are linked to n2 now, or try to be: one of them is refused.
  await waitFor(() => c.n2.admin.status(), {
    failFast: crashed(c.nodes),
    until: (s) => (s.duplicates ?? []).some((d) => d.node === 'n1'),
    message: 'n2 to refuse the second process of n1',
  });
  await copy.stop();
  c.nodes.pop();
  await checkNoForkNoLoss(t, c);
});

t.test('a wiped node rebuilds its actors as they were, and re-arms a pending after timer that fires once', async (t) => {
  const c = await startLossCluster(t);
  // n3 hosts shipping: a parcel waits `shipDelayMs` in an `after` state. Wipe n3 instead.
  for (let i = 0; i < 4; i++) await place(c, c.n1, makeOrder('quick', i));
  const slow = { ...makeOrder('slow', 0), shipDelayMs: 25_000 };
  await place(c, c.n1, slow);
  const waiting = await waitFor(() => c.n3.admin.actors(), {
    failFast: crashed(c.nodes),
    until: (actors) => actors.some((a) => a.service === 'shipping' && a.key === slow.orderId && stateName(a.state) === 'preparing'),
    message: 'the slow parcel to wait in preparing on n3',
  });
  await waitFor(() => c.n1.admin.actors(), {
    failFast: crashed(c.nodes),
    until: (actors) => [0, 1, 2, 3].every((i) => orderDone(orderActors(actors).get(`quick-${i}`))),
    message: 'the quick orders to end',
  });
  const before = shown(await c.n3.admin.actors());
  t.ok(before.some((a) => a.key === slow.orderId && a.state === 'preparing'), 'an actor waits in an after state');
  t.ok(waiting.length > 1);

  await c.n3.kill9();
  await rm(c.n3.data, { recursive: true, force: true });
  await c.n3.restart();
  const rebuilt = await waitFor(async () => ({ status: await c.n3.admin.status() as { recovering?: boolean }, actors: shown(await c.n3.admin.actors()) }), {
    failFast: crashed(c.nodes),
    timeout: 60_000,
    until: (s) => s.status.recovering === false && c.n3.records((r) => r.code === 'TROUPE_NODE_REBUILT').length > 0,
    message: () => `n3 to rebuild its actors\n${c.n3.tail()}`,
  });
  t.same(rebuilt.actors, before, 'GET /actors shows the same states after the wipe as before');

  const shipped = await waitFor(() => c.n1.admin.log(), {
    failFast: crashed(c.nodes),
    timeout: 60_000,
    until: (log) => log.some((e) => e.type === 'OrderShipped' && e.data?.orderId === slow.orderId),
    message: 'the slow parcel to ship once its re-armed timer fires',
  });
  await waitFor(() => c.n1.admin.actors(), {
    failFast: crashed(c.nodes),
    until: (actors) => orderDone(orderActors(actors).get(slow.orderId)),
    message: 'the slow order to complete',
  });
  const ships = (await c.n1.admin.log()).filter((e) => e.type === 'OrderShipped');
  t.equal(ships.filter((e) => e.data?.orderId === slow.orderId).length, 1, 'the re-armed timer fired once');
  t.equal(new Set(ships.map((e) => e.data?.orderId)).size, ships.length, 'no parcel shipped twice: timers that fired before the wipe did not fire again');
  t.ok(shipped.length > 0);
  await checkNoForkNoLoss(t, c);
});

/** The actors as `GET /actors` shows them, in a stable order, for comparing. */
function shown(actors: readonly ActorInfo[]): { service: string; key: string | null | undefined; state: string; status: string; context: unknown }[] {
  return actors
    .map((a) => ({ service: a.service, key: a.key, state: stateName(a.state), status: a.status, context: a.context }))
    .sort((a, b) => `${a.service}/${a.key}`.localeCompare(`${b.service}/${b.key}`));
}
